import { readFileSync } from 'node:fs';
import { parseVerifierKey } from '@msi/core';
import { describe, expect, it } from 'vitest';
import { readPinnedTrust } from './pinned-trust.js';
import { BrowserReceiptChecker, PROOF_STEPS, verdictOf } from './receipt-check.js';
import { WARM_UP_KEY, WARM_UP_RECEIPT } from './warm-up-receipt.js';

// The core's receipt vectors (packages/core/testdata/receipts, made by make-receipt-vectors.mjs):
// the page must reach the core's verdict on every one, and draw the failure at its own step.
const folder = new URL('../../../../../packages/core/testdata/receipts/', import.meta.url);
const vectors = JSON.parse(readFileSync(new URL('vectors.json', folder), 'utf8')) as {
  receipts: {
    name: string;
    receipt: string;
    trust: { logKeys: string[]; witnessKeys?: string[]; quorum?: number; strict?: boolean };
    want: string;
  }[];
};

function checkerFor(trust: (typeof vectors.receipts)[number]['trust']) {
  return new BrowserReceiptChecker({
    logKeys: trust.logKeys.map((k) => parseVerifierKey(k)),
    witnessKeys: (trust.witnessKeys ?? []).map((k) => parseVerifierKey(k)),
    quorum: trust.quorum ?? 0,
    ...(trust.strict === undefined ? {} : { strict: trust.strict }),
  });
}

describe('BrowserReceiptChecker on the core receipt vectors', () => {
  it.each(vectors.receipts.map((v) => [v.name, v] as const))('%s', (_name, vector) => {
    const bytes = readFileSync(new URL(vector.receipt, folder));
    const check = checkerFor(vector.trust).check(new Uint8Array(bytes));
    // The page reads receipts v1 and v2 (ReceiptVerifier): the v1 vectors' "version 2" files (want
    // UNSUPPORTED_VERSION) are malformed receipts v2 to it; every other verdict is the vector's.
    const want = vector.want === 'UNSUPPORTED_VERSION' ? 'RECEIPT_MALFORMED' : vector.want;
    expect(check.ok ? 'VALID' : check.code).toBe(want);
    const statuses = check.steps.map((s) => s.status);
    expect(check.steps.map((s) => s.step)).toEqual(PROOF_STEPS.map((s) => s.step));
    if (check.ok) {
      expect(new Set(statuses)).toEqual(new Set(['valid']));
    } else {
      const failed = statuses.indexOf('invalid');
      expect(statuses.filter((s) => s === 'invalid')).toHaveLength(1);
      expect(check.steps[failed]?.code).toBe(want);
      expect(statuses.slice(0, failed).every((s) => s === 'valid')).toBe(true);
      expect(statuses.slice(failed + 1).every((s) => s === 'not-reached')).toBe(true);
    }
  });
});

describe('BrowserReceiptChecker.verdict (what the workers send back) on the core receipt vectors', () => {
  it.each(vectors.receipts.map((v) => [v.name, v] as const))('%s', (_name, vector) => {
    const bytes = new Uint8Array(readFileSync(new URL(vector.receipt, folder)));
    const verdict = checkerFor(vector.trust).verdict(bytes);
    const want = vector.want === 'UNSUPPORTED_VERSION' ? 'RECEIPT_MALFORMED' : vector.want;
    expect(verdict.ok ? 'VALID' : verdict.code).toBe(want);
    // The same verdict as the full check, on a checker of its own (no cache shared).
    expect(verdict).toEqual(verdictOf(checkerFor(vector.trust).check(bytes)));
  });

  it('warms the workers up on a receipt that verifies in full with its own key', () => {
    const checker = new BrowserReceiptChecker(readPinnedTrust(WARM_UP_KEY, 0).trust);
    expect(checker.verdict(WARM_UP_RECEIPT)).toMatchObject({ ok: true, version: 1 });
    expect(checker.check(WARM_UP_RECEIPT).steps.map((s) => s.status)).toEqual(PROOF_STEPS.map(() => 'valid'));
  });
});
