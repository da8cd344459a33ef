import { encodeSeal } from '@msi/core';
import { streamV1 } from '@msi/proto';
import { describe, expect, it } from 'vitest';
import { makeSeal, sealMessage, shardSealed } from './fixtures.test-helper.js';
import { decodeSealMessage, type SealMessage, sealKey, sealPairs, selectSeals } from './seal-selection.js';

const s0 = makeSeal(0, 0, 1_000);
const s1 = makeSeal(1, 0, 2_000);
const s0b = makeSeal(0, 1, 3_000);

describe('decodeSealMessage (hostile input)', () => {
  it('decodes a ShardSealed v1 into the exact record bytes', () => {
    const decoded = decodeSealMessage(sealMessage(5, s1));
    expect(decoded).toEqual({ record: s1.record, bytes: s1.bytes });
  });

  const valid = sealMessage(9, s0);
  const truncatedSeal = streamV1.ShardSealed.encode({
    version: 1,
    seal: Buffer.from(s0.bytes.subarray(0, 40)),
    aggregatorId: 'a',
    leaseRevision: 0n,
    shardMapVersion: 0n,
  }).finish();
  const cases: [string, SealMessage, string][] = [
    ['bytes that are not protobuf', { ...valid, data: Uint8Array.of(0xff, 0xff, 0xff) }, 'MALFORMED_MESSAGE'],
    ['version 2', { ...valid, data: shardSealed(s0, 2) }, 'UNSUPPORTED_VERSION'],
    ['version 0 (unset)', { ...valid, data: shardSealed(s0, 0) }, 'UNSUPPORTED_VERSION'],
    ['a truncated seal record', { ...valid, data: truncatedSeal }, 'MALFORMED_SEAL'],
    ['a seal of shard 0 on the subject of shard 1', sealMessage(9, s0, 1), 'SHARD_MISMATCH'],
    ['a subject without a shard', { ...valid, subject: 'test.seals.x' }, 'SHARD_MISMATCH'],
  ];
  it.each(cases)('skips %s', (_name, message, reason) => {
    const decoded = decodeSealMessage(message);
    expect(decoded).toMatchObject({ seq: 9, reason });
  });
});

describe('selectSeals', () => {
  it('keeps every distinct seal, in stream order', () => {
    const messages = [sealMessage(3, s0b), sealMessage(1, s0), sealMessage(2, s1)];
    const { seals, skipped } = selectSeals(messages, new Set());
    expect(seals.map((s) => s.bytes)).toEqual([s0.bytes, s1.bytes, s0b.bytes]);
    expect(skipped).toEqual([]);
  });

  it('keeps the first of a redelivered (shard, seal_number), even with other contents', () => {
    const conflicting = makeSeal(0, 0, 1_500, { fill: 0xaa });
    expect(encodeSeal(conflicting.record)).not.toEqual(s0.bytes);
    const messages = [
      sealMessage(1, s0),
      sealMessage(2, s1),
      sealMessage(3, s0),
      sealMessage(4, conflicting),
    ];
    const { seals, skipped } = selectSeals(messages, new Set());
    expect(seals.map((s) => s.bytes)).toEqual([s0.bytes, s1.bytes]);
    expect(skipped.map((s) => [s.seq, s.reason])).toEqual([
      [3, 'DUPLICATE'],
      [4, 'DUPLICATE'],
    ]);
  });

  it('skips seals an earlier round already covers', () => {
    const messages = [sealMessage(7, s0), sealMessage(8, s0b)];
    const { seals, skipped } = selectSeals(messages, new Set([sealKey(0, 0)]));
    expect(seals.map((s) => s.record.sealNumber)).toEqual([1]);
    expect(skipped).toMatchObject([{ seq: 7, reason: 'ALREADY_ANCHORED' }]);
  });

  it('lists the pairs to look up, skipping undecodable messages', () => {
    const messages = [
      sealMessage(1, s0),
      { seq: 2, subject: 'test.seals.0', data: Uint8Array.of(1) },
      sealMessage(3, s1),
    ];
    expect(sealPairs(messages)).toEqual([
      { shard: 0, sealNumber: 0 },
      { shard: 1, sealNumber: 0 },
    ]);
  });
});
