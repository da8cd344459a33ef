import { verifierV1 } from '@msi/proto';
import { describe, expect, it } from 'vitest';
import { checkVerifyRequest, count, eventIdField, instant, VERIFY_LIMITS } from './request-checks.js';
import { VerifierError } from './verifier-error.js';

const KEY = `msi.dev/calendar+01020304+AQ${'A'.repeat(42)}`;
const receipt = (proof: Partial<verifierV1.VerifyReceiptRequest['receipt']> = {}) =>
  verifierV1.VerifyReceiptRequest.fromPartial({
    receipt: { version: 1, event: Buffer.alloc(200), checkpoint: 'x', ...proof },
    trustedKeys: [KEY],
  });

function refusal(run: () => unknown): { code: string; message: string } | undefined {
  try {
    run();
    return undefined;
  } catch (error: unknown) {
    if (error instanceof VerifierError) return { code: error.code, message: error.message };
    throw error;
  }
}

describe('checkVerifyRequest', () => {
  it('lets a request within every limit through', () => {
    expect(refusal(() => checkVerifyRequest(receipt()))).toBeUndefined();
  });

  it.each([
    ['trusted_keys', { trustedKeys: Array(VERIFY_LIMITS.trustedKeys + 1).fill(KEY) }],
    ['trusted_keys', { trustedKeys: [] }],
    ['witness_keys', { witnessKeys: Array(VERIFY_LIMITS.witnessKeys + 1).fill(KEY) }],
    ['trusted_keys[0]', { trustedKeys: ['k'.repeat(VERIFY_LIMITS.keyChars + 1)] }],
    ['receipt', { receipt: undefined }],
  ])('refuses %s over its limit, naming it', (field, change) => {
    expect(refusal(() => checkVerifyRequest({ ...receipt(), ...change }))).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(new RegExp(`^${field.replace(/[[\]]/g, '\\$&')}: `)),
    });
  });

  it.each([
    [
      'receipt.event_proof.hashes',
      { eventProof: { leafIndex: 0n, treeSize: 1n, hashes: Array(65).fill(Buffer.alloc(32)) } },
    ],
    ['receipt.round_proof.tree_size', { roundProof: { leafIndex: 0n, treeSize: 2n ** 63n, hashes: [] } }],
    ['receipt.event', { event: Buffer.alloc(VERIFY_LIMITS.eventBytes + 1) }],
    ['receipt.checkpoint', { checkpoint: 'c'.repeat(VERIFY_LIMITS.checkpointChars + 1) }],
    [
      'receipt.extension.consistency',
      { extension: { checkpoint: '', consistency: Array(129).fill(Buffer.alloc(32)) } },
    ],
  ])('refuses a receipt whose %s is over its limit, naming it', (field, change) => {
    expect(refusal(() => checkVerifyRequest(receipt(change)))?.message.startsWith(`${field}: `)).toBe(true);
  });
});

describe('numeric fields', () => {
  it('are safe integers or OUT_OF_RANGE naming the field', () => {
    expect(count('size', 5n)).toBe(5);
    expect(instant('from_us', 0n)).toBe(0);
    expect(refusal(() => count('size', 2n ** 63n))).toMatchObject({
      code: 'OUT_OF_RANGE',
      message: /^size: /,
    });
    expect(refusal(() => instant('at_us', -1n))).toMatchObject({
      code: 'OUT_OF_RANGE',
      message: /^at_us: /,
    });
    expect(refusal(() => eventIdField('event_id', new Uint8Array(3)))).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: /^event_id: /,
    });
  });
});
