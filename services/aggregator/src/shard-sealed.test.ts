import { encodeSeal, type SealRecord } from '@msi/core';
import { streamV1 } from '@msi/proto';
import { describe, expect, it } from 'vitest';
import { AggregatorError } from './aggregator-error.js';
import { decodeShardSealed, encodeShardSealed, resumePointAfter } from './shard-sealed.js';

const record: SealRecord = {
  shard: 2,
  sealNumber: 7,
  streamStart: 100,
  streamEnd: 140,
  leafCount: 1000,
  maxReceivedAt: 1_748_736_000_000_500,
  root: new Uint8Array(32).fill(0xab),
};

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    if (error instanceof AggregatorError) return error.code;
    throw error;
  }
  return undefined;
}

describe('ShardSealed messages', () => {
  it('round-trips the seal bytes, the aggregator and the lease revision', () => {
    const sealBytes = encodeSeal(record);
    const decoded = decodeShardSealed(encodeShardSealed(sealBytes, 'agg-1', 42, 5), 2);
    expect(decoded).toEqual({
      record,
      sealBytes,
      aggregatorId: 'agg-1',
      leaseRevision: 42n,
      shardMapVersion: 5n,
    });
  });

  it.each([
    ['not protobuf', Uint8Array.of(0xff, 0xff)],
    [
      'version 2',
      streamV1.ShardSealed.encode({
        version: 2,
        seal: Buffer.from(encodeSeal(record)),
        aggregatorId: 'a',
        leaseRevision: 1n,
        shardMapVersion: 0n,
      }).finish(),
    ],
    ['a truncated seal', encodeShardSealed(encodeSeal(record).subarray(0, 80), 'a', 1, 1)],
    ['a seal of another shard', encodeShardSealed(encodeSeal({ ...record, shard: 3 }), 'a', 1, 1)],
  ])('rejects %s', (_name, data) => {
    expect(codeOf(() => decodeShardSealed(data, 2))).toBe('SEAL_MESSAGE_MALFORMED');
  });
});

describe('resumePointAfter', () => {
  it('starts a shard without seals at sequence 1, seal 0, expecting no previous seal', () => {
    expect(resumePointAfter(undefined)).toEqual({ nextSealNumber: 0, resumeSeq: 1, lastSealSeq: 0 });
  });
  it('continues after the last seal: next number, its stream end, fenced on its sequence', () => {
    expect(resumePointAfter({ record, subjectSeq: 913 })).toEqual({
      nextSealNumber: 8,
      resumeSeq: 140,
      lastSealSeq: 913,
    });
  });
});
