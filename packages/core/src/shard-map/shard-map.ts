import { ShardMapError } from './shard-map-error.js';

/**
 * The versioned shard map: which shards ingest routes events to, and which ones the aggregators seal.
 *
 * A shard is `active` (ingest routes new events to it), `draining` (it left the map: nothing new is
 * routed to it, but events accepted under an earlier version may still arrive, and it is sealed as
 * before) or `retired` (every live ingest instance has reported a version without it and the maximum
 * staleness has passed; it is still sealed, and an event found on it is an integrity alert). The
 * active shards are always 0 … activeCount − 1, so routing is `shardOf(…, activeCount)`; `shards`
 * lists every shard that was ever in a map, index = shard, and every one of them is served.
 */
export type ShardState = 'active' | 'draining' | 'retired';

export interface ShardEntry {
  readonly shard: number;
  readonly state: ShardState;
  /** The map version that gave the shard its state. */
  readonly sinceVersion: number;
  /** When it got that state (epoch ms, the clock of the process that changed the map). */
  readonly sinceMs: number;
}

export interface ShardMap {
  /** 1 for the map seeded from MSI_SHARDS; +1 on every change. */
  readonly version: number;
  readonly activeCount: number;
  readonly shards: readonly ShardEntry[];
  readonly changedAtMs: number;
  /** Who made this version (an operator principal, `seed`, or `retirement`). */
  readonly changedBy: string;
}

/** The largest shard count a map may have (subjects are made for shards below it). */
export const MAX_MAP_SHARDS = 4096;

/** Version 1: shards 0 … count − 1 active. */
export function seedShardMap(count: number, nowMs: number): ShardMap {
  assertCount(count);
  const shards = Array.from({ length: count }, (_, shard) => entry(shard, 'active', 1, nowMs));
  return { version: 1, activeCount: count, shards, changedAtMs: nowMs, changedBy: 'seed' };
}

/**
 * The next version with `count` active shards: shards below it become (or stay) active, active shards
 * at or above it start draining; draining and retired shards above it keep their state.
 * Throws VERSION_CONFLICT when `map` is not at `expectedVersion`, UNCHANGED when the count is the same.
 */
export function resizeShardMap(
  map: ShardMap,
  change: { readonly count: number; readonly expectedVersion: number; readonly by: string },
  nowMs: number,
): ShardMap {
  assertCount(change.count);
  if (map.version !== change.expectedVersion) {
    throw new ShardMapError(
      'VERSION_CONFLICT',
      `the shard map is at version ${map.version}, not ${change.expectedVersion}: another change won; read the map again`,
    );
  }
  if (change.count === map.activeCount) {
    throw new ShardMapError('UNCHANGED', `the shard map already has ${change.count} active shards`);
  }
  const version = map.version + 1;
  const length = Math.max(map.shards.length, change.count);
  const shards = Array.from({ length }, (_, shard): ShardEntry => {
    const old = map.shards[shard];
    if (shard < change.count) {
      return old?.state === 'active' ? old : entry(shard, 'active', version, nowMs);
    }
    if (old === undefined) throw new ShardMapError('MAP_MALFORMED', `shard ${shard} is missing`);
    return old.state === 'active' ? entry(shard, 'draining', version, nowMs) : old;
  });
  return { version, activeCount: change.count, shards, changedAtMs: nowMs, changedBy: change.by };
}

/** The shards ingest routes to in `map` (0 … activeCount − 1). */
export function isRoutable(map: ShardMap, shard: number): boolean {
  return shard >= 0 && shard < map.activeCount;
}

/** How many shards the aggregators serve: every shard that was ever in a map (index < this). */
export function servedShardCount(map: ShardMap): number {
  return map.shards.length;
}

/**
 * Checks the invariants of a map read from storage (hostile or corrupt input): a positive version,
 * entries indexed by shard, exactly shards 0 … activeCount − 1 active, no state newer than the map.
 */
export function validateShardMap(map: ShardMap): ShardMap {
  const bad = (why: string): never => {
    throw new ShardMapError('MAP_MALFORMED', `shard map version ${map.version}: ${why}`);
  };
  if (!Number.isSafeInteger(map.version) || map.version < 1) bad('version must be a positive integer');
  if (!Number.isInteger(map.activeCount) || map.activeCount < 1 || map.activeCount > MAX_MAP_SHARDS)
    bad(`active count ${map.activeCount} is out of range`);
  if (map.shards.length < map.activeCount || map.shards.length > MAX_MAP_SHARDS)
    bad(`${map.shards.length} shard entries for ${map.activeCount} active shards`);
  map.shards.forEach((e, i) => {
    if (e.shard !== i) bad(`entry ${i} names shard ${e.shard}`);
    if ((e.state === 'active') !== i < map.activeCount) bad(`shard ${i} is ${e.state}`);
    if (!(e.sinceVersion >= 1 && e.sinceVersion <= map.version))
      bad(`shard ${i} since version ${e.sinceVersion}`);
  });
  return map;
}

function assertCount(count: number): void {
  if (!Number.isInteger(count) || count < 1 || count > MAX_MAP_SHARDS) {
    throw new ShardMapError(
      'COUNT_INVALID',
      `shard count ${count} must be an integer in [1, ${MAX_MAP_SHARDS}]`,
    );
  }
}

function entry(shard: number, state: ShardState, sinceVersion: number, sinceMs: number): ShardEntry {
  return { shard, state, sinceVersion, sinceMs };
}
