import { resizeShardMap, seedShardMap } from '@msi/core';
import { streamV1ShardMap } from '@msi/proto';
import { describe, expect, it } from 'vitest';
import { decodeReport, decodeShardMap, encodeReport, encodeShardMap } from './shard-map-codec.js';

describe('shard map codec', () => {
  it('round-trips a map with every state', () => {
    const v2 = resizeShardMap(seedShardMap(4, 1000), { count: 2, expectedVersion: 1, by: 'ops' }, 2000);
    expect(decodeShardMap(encodeShardMap(v2))).toEqual(v2);
  });

  it('refuses another format, an unknown state and a broken invariant, naming them', () => {
    const other = streamV1ShardMap.ShardMap.encode({
      ...streamV1ShardMap.ShardMap.fromPartial({}),
      format: 2,
    });
    expect(() => decodeShardMap(other.finish())).toThrow(/format 2, not 1/);
    const unknown = streamV1ShardMap.ShardMap.encode(
      streamV1ShardMap.ShardMap.fromPartial({
        format: 1,
        mapVersion: 1n,
        activeCount: 1,
        shards: [{ shard: 0, state: 7, sinceVersion: 1n }],
      }),
    );
    expect(() => decodeShardMap(unknown.finish())).toThrow(/unknown shard state 7/);
    const broken = encodeShardMap({ ...seedShardMap(2, 0), activeCount: 1 });
    expect(() => decodeShardMap(broken)).toThrow(/shard 1 is active/);
  });

  it('round-trips a report and leaves out one of another format', () => {
    const report = { instance: 'ingest-1', mapVersion: 3, expiresAtMs: 99 };
    expect(decodeReport(encodeReport(report))).toEqual(report);
    const other = streamV1ShardMap.IngestMapReport.encode({
      format: 9,
      instance: 'x',
      mapVersion: 1n,
      expiresAtMs: 1n,
    });
    expect(decodeReport(other.finish())).toBeUndefined();
  });
});
