import type { ShardEntry, ShardMap } from './shard-map.js';

/** What one ingest instance last reported: the newest map version it routes by, live until expiry. */
export interface IngestMapReport {
  readonly instance: string;
  readonly mapVersion: number;
  readonly expiresAtMs: number;
}

/** The reports still live at `nowMs`. */
export function liveReports(reports: readonly IngestMapReport[], nowMs: number): IngestMapReport[] {
  return reports.filter((report) => report.expiresAtMs > nowMs);
}

/**
 * Whether a draining shard may retire: every live ingest instance reports a version at or after the
 * one that made it drain (so none routes new events to it), and `maxStalenessMs` has passed since,
 * long enough for any batch accepted under an earlier version to have been published or given up.
 */
export function mayRetire(
  shard: ShardEntry,
  reports: readonly IngestMapReport[],
  nowMs: number,
  maxStalenessMs: number,
): boolean {
  if (shard.state !== 'draining' || nowMs < shard.sinceMs + maxStalenessMs) return false;
  return liveReports(reports, nowMs).every((report) => report.mapVersion >= shard.sinceVersion);
}

/**
 * The next version with every draining shard that may retire retired, or undefined when none may
 * (nothing to write). Routing does not change: the active count stays.
 */
export function retireDrainedShards(
  map: ShardMap,
  reports: readonly IngestMapReport[],
  nowMs: number,
  maxStalenessMs: number,
): ShardMap | undefined {
  const retiring = map.shards.filter((shard) => mayRetire(shard, reports, nowMs, maxStalenessMs));
  if (retiring.length === 0) return undefined;
  const version = map.version + 1;
  const shards = map.shards.map(
    (shard): ShardEntry =>
      retiring.includes(shard)
        ? { shard: shard.shard, state: 'retired', sinceVersion: version, sinceMs: nowMs }
        : shard,
  );
  return { ...map, version, shards, changedAtMs: nowMs, changedBy: 'retirement' };
}
