import { describe, expect, it } from 'vitest';
import { isRoutable, resizeShardMap, seedShardMap, servedShardCount, validateShardMap } from './shard-map.js';
import { ShardMapError } from './shard-map-error.js';

const T0 = 1_000_000;
const states = (map: ReturnType<typeof seedShardMap>): string[] => map.shards.map((s) => s.state);

describe('seedShardMap', () => {
  it('is version 1 with shards 0 … count − 1 active', () => {
    const map = seedShardMap(4, T0);
    expect(map.version).toBe(1);
    expect(map.activeCount).toBe(4);
    expect(states(map)).toEqual(['active', 'active', 'active', 'active']);
    expect(validateShardMap(map)).toBe(map);
  });

  it('refuses a count out of range, naming it', () => {
    expect(() => seedShardMap(0, T0)).toThrow(/shard count 0/);
    expect(() => seedShardMap(4097, T0)).toThrow(ShardMapError);
  });
});

describe('resizeShardMap', () => {
  // 4 → 16 → 8 → 12: growing activates new shards, shrinking drains the ones above the count,
  // growing again re-activates drained ones.
  it('grows, drains on shrink, and re-activates', () => {
    const v1 = seedShardMap(4, T0);
    const v2 = resizeShardMap(v1, { count: 16, expectedVersion: 1, by: 'ops' }, T0 + 1);
    expect(v2.version).toBe(2);
    expect(servedShardCount(v2)).toBe(16);
    expect(v2.shards[0]).toBe(v1.shards[0]); // unchanged entries keep their history
    expect(v2.shards[15]).toEqual({ shard: 15, state: 'active', sinceVersion: 2, sinceMs: T0 + 1 });
    const v3 = resizeShardMap(v2, { count: 8, expectedVersion: 2, by: 'ops' }, T0 + 2);
    expect(states(v3).slice(6, 10)).toEqual(['active', 'active', 'draining', 'draining']);
    expect(v3.shards[9]).toEqual({ shard: 9, state: 'draining', sinceVersion: 3, sinceMs: T0 + 2 });
    expect(servedShardCount(v3)).toBe(16); // draining shards are still served
    const v4 = resizeShardMap(v3, { count: 12, expectedVersion: 3, by: 'ops' }, T0 + 3);
    expect(states(v4).slice(7, 13)).toEqual(['active', 'active', 'active', 'active', 'active', 'draining']);
    for (const map of [v2, v3, v4]) expect(validateShardMap(map)).toBe(map);
  });

  it('refuses a change made from another version (the compare-and-set lost), naming both', () => {
    const v2 = resizeShardMap(seedShardMap(4, T0), { count: 8, expectedVersion: 1, by: 'a' }, T0);
    const attempt = () => resizeShardMap(v2, { count: 6, expectedVersion: 1, by: 'b' }, T0);
    expect(attempt).toThrow(/at version 2, not 1/);
    expect(attempt).toThrow(expect.objectContaining({ code: 'VERSION_CONFLICT' }));
  });

  it('refuses the same count', () => {
    expect(() => resizeShardMap(seedShardMap(4, T0), { count: 4, expectedVersion: 1, by: 'a' }, T0)).toThrow(
      expect.objectContaining({ code: 'UNCHANGED' }),
    );
  });
});

describe('isRoutable', () => {
  it('routes to active shards only', () => {
    const v2 = resizeShardMap(seedShardMap(8, T0), { count: 2, expectedVersion: 1, by: 'a' }, T0);
    expect([0, 1, 2, 7, -1].map((s) => isRoutable(v2, s))).toEqual([true, true, false, false, false]);
  });
});

describe('validateShardMap', () => {
  it('names the broken invariant', () => {
    const map = seedShardMap(2, T0);
    const draining = { ...map, shards: [map.shards[0], { ...map.shards[1], state: 'draining' }] };
    expect(() => validateShardMap(draining as never)).toThrow(/shard 1 is draining/);
    expect(() => validateShardMap({ ...map, version: 0 })).toThrow(/version must be a positive integer/);
    expect(() => validateShardMap({ ...map, activeCount: 3 })).toThrow(/2 shard entries for 3 active/);
    const future = { ...map, shards: [map.shards[0], { ...map.shards[1], sinceVersion: 5 }] };
    expect(() => validateShardMap(future as never)).toThrow(/since version 5/);
  });
});
