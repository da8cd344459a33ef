import { streamV1 } from '@msi/proto';
import { describe, expect, it } from 'vitest';
import { ClaimBatchError, ClaimKeyReader, encodeClaimBatch } from './claim-batch-codec.js';
import type { ClaimBatch } from './claim-log.js';

const batch = (claims: ClaimBatch['claims'], more: Partial<ClaimBatch> = {}): ClaimBatch => ({
  batchId: 'ingest-3f2a-17',
  shard: 3,
  claimUntilMs: 1_800_000_010_000,
  claims,
  ...more,
});
/** 16 bytes of n, with a UUIDv7's version and variant bits. */
const v7Id = (n: number): Uint8Array => {
  const id = new Uint8Array(16).fill(n);
  id[6] = 0x70 | (n & 0x0f);
  id[8] = 0x80 | (n & 0x3f);
  return id;
};
const claim = (n: number, more: Partial<ClaimBatch['claims'][number]> = {}) => ({
  tenant: 'acme',
  eventId: v7Id(n),
  expectedRound: 41,
  supersedes: 0,
  ...more,
});

/** The claims a reader reads from `bytes`, as objects. */
const readKeys = (bytes: Uint8Array, reader = new ClaimKeyReader()) => {
  reader.read(bytes);
  return Array.from({ length: reader.count }, (_, i) => ({
    tenant: reader.tenant(i),
    eventId: Buffer.from(reader.bytes.subarray(reader.idAt(i), reader.idAt(i) + 16)),
    supersedes: reader.supersedes(i),
  }));
};

describe('encodeClaimBatch / ClaimKeyReader', () => {
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
    expect(readKeys(bytes)).toEqual(
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
      claims: [{ tenant: 'acme', eventId: Buffer.from(v7Id(9)), expectedRound: 2n, supersedes: 0n }],
    }).finish();
    const withUnknown = Buffer.concat([known, Buffer.from([0x32, 0x02, 0x01, 0x02, 0x38, 0x05])]);
    expect(readKeys(withUnknown)).toHaveLength(1);
    const v2 = streamV1.ClaimBatch.encode({
      version: 2,
      batchId: 'b',
      shard: 0,
      claimUntilMs: 0n,
      claims: [],
    });
    expect(() => readKeys(v2.finish())).toThrow(ClaimBatchError);
    const shortId = encodeClaimBatch(batch([{ ...claim(1), eventId: new Uint8Array(15) }]));
    expect(() => readKeys(shortId)).toThrow('event id of 15 bytes');
    const notV7 = encodeClaimBatch(batch([claim(1), { ...claim(2), eventId: new Uint8Array(16).fill(2) }]));
    expect(() => readKeys(notV7)).toThrow('not a UUIDv7');
    expect(() => readKeys(known.subarray(0, known.length - 3))).toThrow(ClaimBatchError);
  });

  it('reuses its arrays: a larger batch grows them, a smaller one reads only its own, a bad one leaves none', () => {
    const reader = new ClaimKeyReader();
    const many = batch(
      Array.from({ length: 2500 }, (_, i) => claim(i % 256, { supersedes: i, tenant: `t${i % 3}` })),
    );
    expect(readKeys(encodeClaimBatch(many), reader)).toEqual(
      many.claims.map((c) => ({
        tenant: c.tenant,
        eventId: Buffer.from(c.eventId),
        supersedes: c.supersedes,
      })),
    );
    expect(readKeys(encodeClaimBatch(batch([claim(7)])), reader)).toEqual([
      { tenant: 'acme', eventId: Buffer.from(v7Id(7)), supersedes: 0 },
    ]);
    const bad = encodeClaimBatch(batch([claim(1), { ...claim(2), eventId: new Uint8Array(3) }]));
    expect(() => reader.read(bad)).toThrow(ClaimBatchError);
    expect(reader.count).toBe(0);
  });
});
