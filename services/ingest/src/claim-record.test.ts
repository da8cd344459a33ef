import { streamV1 } from '@msi/proto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ClaimRecord, ClaimRecordError, decodeClaimRecord, encodeClaimRecord } from './claim-record.js';

const record: ClaimRecord = {
  leafHash: new Uint8Array(32).fill(7),
  shard: 3,
  expectedRound: 42,
  batchId: 'ingest-ab12-17',
  receivedAtUs: 1_764_000_000_123_456,
  claimUntilMs: 1_764_000_010_123,
  event: new Uint8Array([0x4d, 0x53, 0x49, 0x45, 1, 2, 3]),
};

describe('claim records', () => {
  it('round-trip through streamV1.IdempotencyRecord', () => {
    const bytes = encodeClaimRecord(record);
    const decoded = decodeClaimRecord(bytes);
    expect({ ...decoded, leafHash: [...decoded.leafHash], event: [...decoded.event] }).toEqual({
      ...record,
      leafHash: [...record.leafHash],
      event: [...record.event],
    });
    expect(streamV1.IdempotencyRecord.decode(bytes).version).toBe(1);
  });

  it.each([
    ['another version', { version: 2 }],
    ['a short leaf hash', { leafHash: Buffer.alloc(31) }],
    ['no batch id', { batchId: '' }],
    ['no event', { event: Buffer.alloc(0) }],
    ['a negative time', { receivedAtUs: -1n }],
  ])('refuses %s', (_name, change) => {
    const message = streamV1.IdempotencyRecord.decode(encodeClaimRecord(record));
    const bytes = streamV1.IdempotencyRecord.encode({ ...message, ...change }).finish();
    expect(() => decodeClaimRecord(bytes)).toThrow(ClaimRecordError);
  });

  it('encodes exactly as streamV1.IdempotencyRecord.encode does', () => {
    const safe = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
    fc.assert(
      fc.property(
        fc.record({
          leafHash: fc.uint8Array({ minLength: 32, maxLength: 32 }),
          shard: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
          expectedRound: safe,
          batchId: fc.string({ minLength: 1, maxLength: 80, unit: 'grapheme' }),
          receivedAtUs: safe,
          claimUntilMs: safe,
          event: fc.uint8Array({ minLength: 1, maxLength: 600 }),
        }),
        (random) => {
          const reference = streamV1.IdempotencyRecord.encode({
            version: 1,
            leafHash: Buffer.from(random.leafHash),
            shard: random.shard,
            expectedRound: BigInt(random.expectedRound),
            batchId: random.batchId,
            receivedAtUs: BigInt(random.receivedAtUs),
            claimUntilMs: BigInt(random.claimUntilMs),
            event: Buffer.from(random.event),
          }).finish();
          expect(Buffer.from(encodeClaimRecord(random)).equals(Buffer.from(reference))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses bytes that do not parse', () => {
    expect(() => decodeClaimRecord(new Uint8Array([0x0a, 0xff]))).toThrow(ClaimRecordError);
  });
});
