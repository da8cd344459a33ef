import { verifierV1 } from '@msi/proto';
import { describe, expect, it } from 'vitest';
import {
  checkVerifyRequest,
  count,
  directionField,
  eventIdField,
  instant,
  limitField,
  textField,
  timeRange,
  VERIFY_LIMITS,
} from './request-checks.js';
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

describe('the console calls’ fields', () => {
  it('takes a text of 1 to N bytes of UTF-8, naming the field', () => {
    expect(textField('actor', 'é'.repeat(128), 256)).toBe('é'.repeat(128));
    expect(() => textField('actor', '', 256)).toThrow(/^actor: required$/);
    expect(() => textField('actor', `${'é'.repeat(128)}x`, 256)).toThrow(
      /^actor: at most 256 bytes of UTF-8 \(got 257\)$/,
    );
  });

  it('checks from/to as instants and their order', () => {
    expect(timeRange(0n, 0n)).toEqual({ fromUs: 0, toUs: 0 });
    expect(timeRange(0n, 5n)).toEqual({ fromUs: 0, toUs: 5 });
    expect(() => timeRange(-1n, 0n)).toThrow(/^from_us: /);
    expect(() => timeRange(5n, 5n)).toThrow(/^to_us: 5 is not after from_us 5$/);
  });

  it('maps directions to walks and refuses unknown ones; limits default and cap', () => {
    const D = verifierV1.LineageDirection;
    expect(directionField('direction', D.LINEAGE_DIRECTION_UNSPECIFIED)).toEqual(['down', 'up']);
    expect(directionField('direction', D.LINEAGE_DIRECTION_UPSTREAM)).toEqual(['up']);
    expect(directionField('direction', D.LINEAGE_DIRECTION_DOWNSTREAM)).toEqual(['down']);
    expect(directionField('direction', D.LINEAGE_DIRECTION_BOTH)).toEqual(['down', 'up']);
    expect(() => directionField('direction', 9 as verifierV1.LineageDirection)).toThrow(
      /^direction: 9 is not a LineageDirection/,
    );
    expect(limitField('max_depth', 0, 16, 4)).toBe(4);
    expect(limitField('max_depth', 16, 16, 4)).toBe(16);
    expect(() => limitField('max_depth', 17, 16, 4)).toThrow(/^max_depth: at most 16 \(got 17\)$/);
  });
});
