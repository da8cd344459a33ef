import { encodeSeal } from '@msi/core';
import { subjectsFor } from '@msi/nats';
import { streamV1, verifierV1 } from '@msi/proto';
import { describe, expect, it } from 'vitest';
import { decodeSealMessage } from './seal-apply.js';

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
