import { resizeShardMap } from '@msi/core';
import { bucketNamesFor } from '@msi/nats';
import { createLogger } from '@msi/service-kit';
import { eventually, useWorld } from '@msi/testkit';
import { jetstream } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { retireDrained } from './retire-drained.js';
import { ShardMapFollower } from './shard-map-follower.js';
import { isCasConflict, ShardMapStore } from './shard-map-store.js';

const world = useWorld({ label: 'shardmap', nats: true });
const log = createLogger({ service: 'test', level: 'error', write: () => {} });
const open = () => ShardMapStore.open(jetstream(world.nc), bucketNamesFor(world.prefix).shardMap, 1);

describe('ShardMapStore and ShardMapFollower (real NATS)', () => {
  it('seeds version 1 once, changes only by compare-and-set, keeps the history, and followers adopt newer versions', async () => {
    const [a, b] = await Promise.all([open(), open()]);
    const [first, second] = await Promise.all([a.readOrSeed(4, 1000), b.readOrSeed(8, 1000)]);
    expect(first.map).toEqual(second.map); // one seed won; the other read it
    const follower = await ShardMapFollower.start({
      store: b,
      seedCount: 2,
      pollMs: 50,
      nowMs: Date.now,
      log,
    });
    try {
      expect(follower.current.version).toBe(1);
      const v2 = resizeShardMap(first.map, { count: 6, expectedVersion: 1, by: 'ops' }, 2000);
      const revision = await a.replace(v2, first.revision);
      // A second writer from the same revision loses the compare-and-set.
      const v2b = resizeShardMap(first.map, { count: 3, expectedVersion: 1, by: 'other' }, 2000);
      const lost = await b.replace(v2b, first.revision).catch((error: unknown) => error);
      expect(isCasConflict(lost)).toBe(true);
      await eventually('the follower adopts version 2', async () =>
        follower.current.version === 2 ? true : undefined,
      );
      expect(follower.current.activeCount).toBe(6);
      expect((await a.history()).map((m) => m.version)).toEqual([1, 2]);

      // Shrink; with no live ingest report, the draining shards retire once the staleness passed.
      const v3 = resizeShardMap(v2, { count: 2, expectedVersion: 2, by: 'ops' }, 3000);
      const r3 = await a.replace(v3, revision);
      await a.report({ instance: 'ingest-a', mapVersion: 2, expiresAtMs: Number.MAX_SAFE_INTEGER });
      expect(await retireDrained(a, { map: v3, revision: r3 }, 3000 + 10_000, 5000)).toBeUndefined();
      await a.report({ instance: 'ingest-a', mapVersion: 3, expiresAtMs: Number.MAX_SAFE_INTEGER });
      const v4 = await retireDrained(a, { map: v3, revision: r3 }, 3000 + 10_000, 5000);
      expect(v4?.map.shards.map((s) => s.state)).toEqual([
        'active',
        'active',
        'retired',
        'retired',
        'retired',
        'retired',
      ]);
      expect((await a.read())?.map).toEqual(v4?.map);
    } finally {
      await follower.stop();
    }
  });
});
