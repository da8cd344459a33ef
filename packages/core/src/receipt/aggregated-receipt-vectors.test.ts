// The receipt v2 vectors of testdata/aggregated-receipts (see its README.md): every receipt is
// verified with the trust its vector names, by verifyAggregatedReceipt and by a ReceiptVerifier, and
// must end with the vector's verdict (portable Ed25519 and SHA-256; packages/crypto-node runs the same
// vectors on node:crypto).
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { portableHasher } from '@msi/merkle';
import { describe, expect, it } from 'vitest';
import { parseVerifierKey, portableEd25519 } from '../note/index.js';
import { ReceiptVerifier } from './receipt-verifier.js';
import { outcome } from './verdict.test-helper.js';
import { type VerifiedAggregatedReceipt, verifyAggregatedReceipt } from './verify-aggregated-receipt.js';
import type { ReceiptTrust } from './verify-receipt.js';

const DIR = fileURLToPath(new URL('../../testdata/aggregated-receipts/', import.meta.url));

interface Trust {
  logKeys: string[];
  witnessKeys: string[];
  quorum: number;
  strict: boolean;
}
interface Vector {
  name: string;
  receipt: string;
  trust: Trust;
  want: string;
  expect?: Record<string, unknown>;
}
const manifest = JSON.parse(readFileSync(`${DIR}vectors.json`, 'utf8')) as { receipts: Vector[] };
const file = (path: string): Uint8Array => new Uint8Array(readFileSync(`${DIR}${path}`));
const crypto = { hasher: portableHasher(), ed25519: portableEd25519() };

const trustOf = (trust: Trust): ReceiptTrust => ({
  logKeys: trust.logKeys.map(parseVerifierKey),
  witnessKeys: trust.witnessKeys.map(parseVerifierKey),
  quorum: trust.quorum,
  strict: trust.strict,
});

const summary = (r: VerifiedAggregatedReceipt) => ({
  leafIndex: r.leafIndex,
  leafCount: r.leafCount,
  tenant: r.tenant,
  submitter: r.submitter,
  receivedAt: r.receivedAt,
  round: r.rootReceipt.round.round,
  closedAt: r.rootReceipt.round.closedAt,
  checkpointSize: r.rootReceipt.checkpoint.size,
  witnesses: r.rootReceipt.witnesses.map(({ name, time }) => ({ name, time })),
  ...(r.rootReceipt.extendedTo === undefined ? {} : { extendedTo: r.rootReceipt.extendedTo.size }),
});

describe('receipt v2 vectors (portable Ed25519)', () => {
  it.each(manifest.receipts.map((v) => [v.name, v] as const))('%s', (_name, v) => {
    const { verdict, result } = outcome(() =>
      verifyAggregatedReceipt(file(v.receipt), trustOf(v.trust), crypto),
    );
    expect(verdict).toBe(v.want);
    expect(outcome(() => new ReceiptVerifier(trustOf(v.trust), crypto).verify(file(v.receipt))).verdict).toBe(
      v.want,
    );
    if (v.expect !== undefined && result !== undefined) expect(summary(result)).toEqual(v.expect);
  });

  it('has a VALID vector and one of every failure code of a step of §13', () => {
    expect(new Set(manifest.receipts.map((v) => v.want))).toEqual(
      new Set([
        'VALID',
        'RECEIPT_MALFORMED',
        'RECEIPT_NOT_CANONICAL',
        'UNSUPPORTED_VERSION',
        'EVENT_MALFORMED',
        'EVENT_PROOF_INVALID',
        'ROOT_EVENT_INVALID',
        'LOCAL_PROOF_INVALID',
        'SIGNATURE_INVALID',
        'UNTRUSTED_KEY',
        'QUORUM_NOT_MET',
      ]),
    );
  });

  it('names every receipt file in the manifest', () => {
    const onDisk = ['valid', 'invalid'].flatMap((dir) =>
      readdirSync(`${DIR}${dir}`).map((name) => `${dir}/${name}`),
    );
    expect(new Set(onDisk)).toEqual(new Set(manifest.receipts.map((v) => v.receipt)));
  });
});
