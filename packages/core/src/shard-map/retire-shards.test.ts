import { describe, expect, it } from 'vitest';
import { type IngestMapReport, mayRetire, retireDrainedShards } from './retire-shards.js';
import { resizeShardMap, seedShardMap } from './shard-map.js';

const T0 = 5_000_000;
const STALENESS = 30_000;
// v1: 4 active; v2 (at T0): 2 active, shards 2 and 3 draining since version 2.
const v2 = resizeShardMap(seedShardMap(4, T0 - 10), { count: 2, expectedVersion: 1, by: 'ops' }, T0);
const report = (instance: string, mapVersion: number, expiresAtMs: number): IngestMapReport => ({
  instance,
  mapVersion,
  expiresAtMs,
});
const after = T0 + STALENESS;

describe('mayRetire / retireDrainedShards', () => {
  it('retires once every live instance reports the new version and the staleness passed', () => {
    const reports = [report('a', 2, after + 1), report('b', 3, after + 1)];
    const v3 = retireDrainedShards(v2, reports, after, STALENESS);
    expect(v3?.version).toBe(3);
    expect(v3?.activeCount).toBe(2);
    expect(v3?.shards.map((s) => s.state)).toEqual(['active', 'active', 'retired', 'retired']);
    expect(v3?.shards[2]).toEqual({ shard: 2, state: 'retired', sinceVersion: 3, sinceMs: after });
  });

  it('waits for the staleness, even when everyone reported', () => {
    const reports = [report('a', 2, after + 1)];
    expect(retireDrainedShards(v2, reports, after - 1, STALENESS)).toBeUndefined();
  });

  it('waits for a live instance still on the old version', () => {
    const reports = [report('a', 2, after + 1), report('stale', 1, after + 1)];
    expect(v2.shards[2] && mayRetire(v2.shards[2], reports, after, STALENESS)).toBe(false);
    expect(retireDrainedShards(v2, reports, after, STALENESS)).toBeUndefined();
  });

  it('ignores an instance whose report expired (it is not live)', () => {
    const reports = [report('a', 2, after + 1), report('dead', 1, after)];
    expect(retireDrainedShards(v2, reports, after, STALENESS)?.version).toBe(3);
  });

  it('never retires an active or already retired shard', () => {
    const v3 = retireDrainedShards(v2, [], after, STALENESS);
    expect(v3 && retireDrainedShards(v3, [], after + STALENESS, STALENESS)).toBeUndefined();
    expect(retireDrainedShards(seedShardMap(4, T0), [], after, STALENESS)).toBeUndefined();
  });
});
