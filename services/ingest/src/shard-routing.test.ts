import {
  type IngestMapReport,
  resizeShardMap,
  retireDrainedShards,
  type ShardMap,
  seedShardMap,
  servedShardCount,
  validateShardMap,
} from '@msi/core';
import { describe, expect, it } from 'vitest';
import { IngestError } from './ingest-error.js';
import { shardOf } from './shard-of.js';
import { type FollowedMap, mapInForce, newestLiveVersion } from './shard-routing.js';

const T0 = 1_000_000;
const TTL = 5_000;
const STALENESS = 30_000;
// docs/ARCHITECTURE.md's known answer: tenant `acme`, imprint 0x01 then 32 zero bytes → shard 0 of 4,
// 12 of 16.
const KNOWN = new Uint8Array(33);
KNOWN[0] = 1;

const v1 = seedShardMap(4, T0);
const v2 = resizeShardMap(v1, { count: 16, expectedVersion: 1, by: 'alice-ops' }, T0 + 100);
const followed = (current: ShardMap, newestSeen = current.version, confirmedAtMs = T0): FollowedMap => ({
  current,
  newestSeen,
  confirmedAtMs,
});
const report = (instance: string, mapVersion: number, expiresAtMs: number): IngestMapReport => ({
  instance,
  mapVersion,
  expiresAtMs,
});

/** The IngestError `route` throws (failing the test when it routes instead). */
function refusal(route: () => ShardMap): IngestError {
  try {
    route();
  } catch (error: unknown) {
    if (error instanceof IngestError) return error;
    throw error;
  }
  throw new Error('routed; a refusal was expected');
}

describe('mapInForce: the map ingest routes new events by', () => {
  it('is the version loaded, and a newer one as soon as it is loaded: the event goes where that version says', () => {
    const before = mapInForce(followed(v1), T0, TTL);
    expect(before.version).toBe(1);
    expect(shardOf('acme', KNOWN, before.activeCount)).toBe(0);
    const after = mapInForce(followed(v2), T0, TTL);
    expect(after.version).toBe(2);
    expect(shardOf('acme', KNOWN, after.activeCount)).toBe(12);
  });

  it('refuses (UNAVAILABLE, retryable) while a newer version than the one loaded is known', () => {
    const refused = refusal(() => mapInForce(followed(v1, 2), T0, TTL));
    expect(refused.code).toBe('UNAVAILABLE');
    expect(refused.message).toBe(
      'shard map version 1 is older than version 2, which is not loaded yet; retry',
    );
    // Loaded: routed by it.
    expect(mapInForce(followed(v2, 2), T0, TTL)).toBe(v2);
  });

  it('learns of a newer version from the live reports of the other instances only', () => {
    const reports = [report('a', 1, T0 + 1), report('b', 2, T0 + 1), report('gone', 3, T0)];
    expect(newestLiveVersion(reports, T0)).toBe(2); // an expired report (expiresAtMs ≤ now) is not live
    expect(newestLiveVersion([report('gone', 3, T0)], T0)).toBe(0);
    expect(newestLiveVersion([], T0)).toBe(0);
    const newest = newestLiveVersion(reports, T0);
    expect(refusal(() => mapInForce(followed(v1, newest), T0, TTL)).code).toBe('UNAVAILABLE');
  });

  it('refuses once the map was not confirmed for longer than the report TTL (the others no longer count this instance)', () => {
    expect(mapInForce(followed(v2, 2, T0), T0 + TTL, TTL)).toBe(v2);
    const refused = refusal(() => mapInForce(followed(v2, 2, T0), T0 + TTL + 1, TTL));
    expect(refused.code).toBe('UNAVAILABLE');
    expect(refused.message).toBe(`the shard map was not confirmed for ${TTL + 1} ms; retry`);
  });
});

describe('routing never reaches a shard no aggregator serves', () => {
  // 4 → 16 → 8 → (16 … 8 retire) → 2 → 12 → 1 → 64: up and down, with retirements between.
  function history(): ShardMap[] {
    const maps: ShardMap[] = [v1];
    let now = T0;
    const step = (next: ShardMap | undefined) => {
      if (next === undefined) throw new Error('no change');
      maps.push(validateShardMap(next));
    };
    const resize = (count: number) => {
      now += 1000;
      const last = maps[maps.length - 1] as ShardMap;
      step(resizeShardMap(last, { count, expectedVersion: last.version, by: 'ops' }, now));
    };
    const retire = () => {
      now += STALENESS;
      const last = maps[maps.length - 1] as ShardMap;
      step(retireDrainedShards(last, [report('a', last.version, now + TTL)], now, STALENESS));
    };
    resize(16);
    resize(8);
    retire();
    resize(2);
    resize(12);
    resize(1);
    retire();
    resize(64);
    return maps;
  }

  it('every shard an event is routed to under any version is active in it, and every later version still serves it', () => {
    const maps = history();
    expect(maps.map((m) => m.activeCount)).toEqual([4, 16, 8, 8, 2, 12, 1, 1, 64]);
    const imprints = Array.from({ length: 400 }, (_, i) => {
      const imprint = new Uint8Array(33);
      imprint[0] = 1;
      new DataView(imprint.buffer).setUint32(1, i);
      return imprint;
    });
    maps.forEach((map, at) => {
      const inForce = mapInForce(followed(map), T0, TTL);
      const routed = new Set(imprints.map((imprint) => shardOf('acme', imprint, inForce.activeCount)));
      // Every active shard gets events, and only active shards do.
      expect(routed.size).toBe(map.activeCount);
      for (const shard of routed) {
        expect(map.shards[shard]?.state).toBe('active');
        // An event accepted under this version may be published after any later change: the
        // aggregators of every later version serve its shard (a shard never leaves the map).
        for (const later of maps.slice(at)) {
          expect(shard).toBeLessThan(servedShardCount(later));
          expect(later.shards[shard]?.shard).toBe(shard);
        }
      }
    });
    // Retired shards stay in the map (served, sealed, reported), never routed to, until a change
    // makes them active again.
    const retired = maps[7] as ShardMap;
    expect(retired.shards.map((s) => s.state)).toEqual([
      'active',
      ...Array.from({ length: 15 }, () => 'retired'),
    ]);
    expect(servedShardCount(retired)).toBe(16);
  });
});
