import { retireDrainedShards } from '@msi/core';
import type { ShardMapStore, StoredShardMap } from './shard-map-store.js';
import { isCasConflict } from './shard-map-store.js';

/**
 * Retires the draining shards that may retire (core retireDrainedShards: every live ingest instance
 * reported a version without them, and `maxStalenessMs` passed), by compare-and-set on the map's
 * revision. Returns the new map, or undefined when nothing retired or another process changed the
 * map first (it is judged again at the next read).
 */
export async function retireDrained(
  store: ShardMapStore,
  stored: StoredShardMap,
  nowMs: number,
  maxStalenessMs: number,
): Promise<StoredShardMap | undefined> {
  if (!stored.map.shards.some((shard) => shard.state === 'draining')) return undefined;
  const next = retireDrainedShards(stored.map, await store.reports(), nowMs, maxStalenessMs);
  if (next === undefined) return undefined;
  try {
    return { map: next, revision: await store.replace(next, stored.revision) };
  } catch (error: unknown) {
    if (isCasConflict(error)) return undefined;
    throw error;
  }
}
