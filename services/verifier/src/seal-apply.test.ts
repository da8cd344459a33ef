import { encodeSeal } from '@msi/core';
import { subjectsFor } from '@msi/nats';
import { streamV1, verifierV1 } from '@msi/proto';
import { describe, expect, it } from 'vitest';
import { type CoveredRow, decodeSealMessage, type SealApplied, sealedBatchesOf } from './seal-apply.js';

const record = {
  shard: 3,
  sealNumber: 7,
  streamStart: 10,
  streamEnd: 12,
  leafCount: 2,
  maxReceivedAt: 1_700_000_000_000_000,
  root: new Uint8Array(32).fill(5),
};

function message(shardMapVersion: bigint, shard = 3) {
  const data = streamV1.ShardSealed.encode({
    version: 1,
    seal: Buffer.from(encodeSeal(record)),
    aggregatorId: 'aggregator-1',
    leaseRevision: 4n,
    shardMapVersion,
  }).finish();
  return { seq: 21, subject: subjectsFor('msi').seals(shard), data, storedAtUs: 0 };
}

describe('decodeSealMessage', () => {
  it('keeps the shard map version that sealed it beside the record (metadata, not in the seal bytes)', () => {
    const decoded = decodeSealMessage('MSI_SEALS', message(5n));
    const unknown = decodeSealMessage('MSI_SEALS', message(0n));
    if (!decoded.ok || !unknown.ok) throw new Error('not decoded');
    expect(decoded.shardMapVersion).toBe(5);
    expect(unknown.shardMapVersion).toBe(0);
    expect(decoded.seq).toBe(21);
    expect({ ...decoded.record, root: [...decoded.record.root] }).toEqual({
      ...record,
      root: [...record.root],
    });
    // The version does not touch the seal record's bytes.
    expect(Buffer.from(decoded.bytes)).toEqual(Buffer.from(encodeSeal(record)));
    expect(Buffer.from(unknown.bytes)).toEqual(Buffer.from(encodeSeal(record)));
  });

  it('a version beyond 2^53 − 1 (hostile input) makes the message malformed', () => {
    const decoded = decodeSealMessage('MSI_SEALS', message(2n ** 53n));
    expect(decoded.ok).toBe(false);
    if (decoded.ok) return;
    expect(decoded.failure.kind).toBe(
      verifierV1.IntegrityFailureKind.INTEGRITY_FAILURE_KIND_MALFORMED_MESSAGE,
    );
    expect(decoded.failure.detail).toMatch(/shard_map_version 9007199254740992 is beyond 2\^53 - 1/);
    expect(decodeSealMessage('MSI_SEALS', message(2n ** 53n - 1n)).ok).toBe(true);
  });
});

describe('sealedBatchesOf', () => {
  const row = (streamSeq: number, position: number): CoveredRow => ({
    leafHash: new Uint8Array(32),
    receivedAt: 0,
    eventId: Uint8Array.of(streamSeq, position),
    streamSeq,
    position,
    tenant: 't',
    canonical: Uint8Array.of(position),
  });
  const seal = (seq: number, verified: boolean): SealApplied => ({
    seq,
    record,
    bytes: new Uint8Array(0),
    shardMapVersion: 0,
    detail: verified ? '' : 'mismatch',
    ...(verified ? { leaves: new Uint8Array(0) } : {}),
  });
  /** leaf_index as the view sealed_events computes it from a sealed_batches row. */
  const leafOf = (b: { firstLeaf: number; gaps: readonly number[] }, position: number) =>
    b.firstLeaf + position - b.gaps.filter((g) => g < position).length;

  it('one row per message: the leaf index of its first event row, and the positions missing below its last', () => {
    const covered = [row(10, 0), row(10, 1), row(10, 2), row(11, 1), row(11, 3), row(11, 4), row(12, 0)];
    const { batches, events } = sealedBatchesOf([seal(40, true)], [covered]);
    expect(batches).toEqual([
      { streamSeq: 10, sealSeq: 40, firstLeaf: 0, gaps: [] },
      { streamSeq: 11, sealSeq: 40, firstLeaf: 3, gaps: [0, 2] },
      { streamSeq: 12, sealSeq: 40, firstLeaf: 6, gaps: [] },
    ]);
    // every row's leaf index (its rank in the seal's tree) is what the view derives from its message
    expect(events.map((e) => e.row.leafIndex)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    for (const e of events) {
      const b = batches.find((x) => x.streamSeq === e.row.streamSeq);
      if (b === undefined) throw new Error('no batch');
      expect(leafOf(b, e.row.position)).toBe(e.row.leafIndex);
      expect(e.row.sealSeq).toBe(40);
    }
  });

  it('the first verified seal of the group keeps a message; an unverified seal anchors nothing', () => {
    const { batches, events } = sealedBatchesOf(
      [seal(40, false), seal(41, true), seal(42, true)],
      [[row(10, 0)], [row(10, 0), row(11, 0)], [row(11, 0), row(12, 0)]],
    );
    expect(batches.map((b) => [b.streamSeq, b.sealSeq, b.firstLeaf])).toEqual([
      [10, 41, 0],
      [11, 41, 1],
      [12, 42, 1],
    ]);
    expect(events.map((e) => [e.row.streamSeq, e.row.sealSeq, e.row.leafIndex])).toEqual([
      [10, 41, 0],
      [11, 41, 1],
      [12, 42, 1],
    ]);
  });
});
