import { streamV1 } from '@msi/proto';
import { describe, expect, it } from 'vitest';
import { ClaimBatchError, decodeClaimKeys, encodeClaimBatch } from './claim-batch-codec.js';
import type { ClaimBatch } from './claim-log.js';

const batch = (claims: ClaimBatch['claims'], more: Partial<ClaimBatch> = {}): ClaimBatch => ({
  batchId: 'ingest-3f2a-17',
  shard: 3,
  claimUntilMs: 1_800_000_010_000,
  claims,
  ...more,
});
const claim = (n: number, more: Partial<ClaimBatch['claims'][number]> = {}) => ({
  tenant: 'acme',
  eventId: new Uint8Array(16).fill(n),
  expectedRound: 41,
  supersedes: 0,
  ...more,
});

describe('encodeClaimBatch / decodeClaimKeys', () => {
  it.each([
    ['one claim', batch([claim(1)])],
    ['zeros left out', batch([claim(2, { expectedRound: 0, tenant: 'é' })], { shard: 0 })],
    [
      'a replacement with a large position',
      batch([claim(3, { supersedes: 2 ** 52 + 7 }), claim(4, { tenant: 't'.repeat(64) })]),
    ],
    ['no claims', batch([])],
    [
      'tenants alternating and repeating (decoded names are reused only for equal bytes)',
      batch([
        claim(5, { tenant: 'acme' }),
        claim(6, { tenant: 'acme' }),
        claim(7, { tenant: 'acmf' }),
        claim(8, { tenant: 'acme' }),
        claim(9, { tenant: 'acm' }),
      ]),
    ],
  ])('%s: the bytes of streamV1.ClaimBatch.encode, read back by both decoders', (_name, value) => {
    const bytes = encodeClaimBatch(value);
    const reference = streamV1.ClaimBatch.encode({
      version: 1,
      batchId: value.batchId,
      shard: value.shard,
      claimUntilMs: BigInt(value.claimUntilMs),
      claims: value.claims.map((c) => ({
        tenant: c.tenant,
        eventId: Buffer.from(c.eventId),
        expectedRound: BigInt(c.expectedRound),
        supersedes: BigInt(c.supersedes),
      })),
    }).finish();
    expect(Buffer.from(bytes)).toEqual(Buffer.from(reference));
    const decoded = decodeClaimKeys(bytes).map((c) => ({ ...c, eventId: Buffer.from(c.eventId) }));
    expect(decoded).toEqual(
      value.claims.map((c) => ({
        tenant: c.tenant,
        eventId: Buffer.from(c.eventId),
        supersedes: c.supersedes,
      })),
    );
  });

  it('skips fields it does not know, and refuses another version, a bad id, truncation', () => {
    const known = streamV1.ClaimBatch.encode({
      version: 1,
      batchId: 'b',
      shard: 1,
      claimUntilMs: 5n,
      claims: [{ tenant: 'acme', eventId: Buffer.alloc(16, 9), expectedRound: 2n, supersedes: 0n }],
    }).finish();
    const withUnknown = Buffer.concat([known, Buffer.from([0x32, 0x02, 0x01, 0x02, 0x38, 0x05])]);
    expect(decodeClaimKeys(withUnknown)).toHaveLength(1);
    const v2 = streamV1.ClaimBatch.encode({
      version: 2,
      batchId: 'b',
      shard: 0,
      claimUntilMs: 0n,
      claims: [],
    });
    expect(() => decodeClaimKeys(v2.finish())).toThrow(ClaimBatchError);
    const shortId = encodeClaimBatch(batch([{ ...claim(1), eventId: new Uint8Array(15) }]));
    expect(() => decodeClaimKeys(shortId)).toThrow('event id of 15 bytes');
    expect(() => decodeClaimKeys(known.subarray(0, known.length - 3))).toThrow(ClaimBatchError);
  });
});
