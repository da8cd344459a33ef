import {
  type IngestMapReport,
  type ShardEntry,
  type ShardMap,
  ShardMapError,
  type ShardState,
  validateShardMap,
} from '@msi/core';
import { streamV1ShardMap } from '@msi/proto';

const STATE_TO_PROTO: Readonly<Record<ShardState, streamV1ShardMap.ShardState>> = {
  active: streamV1ShardMap.ShardState.SHARD_STATE_ACTIVE,
  draining: streamV1ShardMap.ShardState.SHARD_STATE_DRAINING,
  retired: streamV1ShardMap.ShardState.SHARD_STATE_RETIRED,
};

/** The bytes of KV key `map` (streamV1ShardMap.ShardMap, format 1). */
export function encodeShardMap(map: ShardMap): Uint8Array {
  return streamV1ShardMap.ShardMap.encode({
    format: 1,
    mapVersion: BigInt(map.version),
    activeCount: map.activeCount,
    shards: map.shards.map((e) => ({
      shard: e.shard,
      state: STATE_TO_PROTO[e.state],
      sinceVersion: BigInt(e.sinceVersion),
      sinceMs: BigInt(e.sinceMs),
    })),
    changedAtMs: BigInt(map.changedAtMs),
    changedBy: map.changedBy,
  }).finish();
}

/** Decodes and checks a stored map (read from the bus: hostile); throws ShardMapError MAP_MALFORMED. */
export function decodeShardMap(bytes: Uint8Array): ShardMap {
  let message: streamV1ShardMap.ShardMap;
  try {
    message = streamV1ShardMap.ShardMap.decode(bytes);
  } catch (error: unknown) {
    throw new ShardMapError('MAP_MALFORMED', 'the stored shard map does not decode', { cause: error });
  }
  if (message.format !== 1) {
    throw new ShardMapError('MAP_MALFORMED', `the stored shard map has format ${message.format}, not 1`);
  }
  const shards = message.shards.map(
    (e): ShardEntry => ({
      shard: e.shard,
      state: stateOf(e.state),
      sinceVersion: Number(e.sinceVersion),
      sinceMs: Number(e.sinceMs),
    }),
  );
  return validateShardMap({
    version: Number(message.mapVersion),
    activeCount: message.activeCount,
    shards,
    changedAtMs: Number(message.changedAtMs),
    changedBy: message.changedBy,
  });
}

export function encodeReport(report: IngestMapReport): Uint8Array {
  return streamV1ShardMap.IngestMapReport.encode({
    format: 1,
    instance: report.instance,
    mapVersion: BigInt(report.mapVersion),
    expiresAtMs: BigInt(report.expiresAtMs),
  }).finish();
}

/** A stored report, or undefined when it is not a format-1 report (treated as absent). */
export function decodeReport(bytes: Uint8Array): IngestMapReport | undefined {
  try {
    const report = streamV1ShardMap.IngestMapReport.decode(bytes);
    if (report.format !== 1) return undefined;
    return {
      instance: report.instance,
      mapVersion: Number(report.mapVersion),
      expiresAtMs: Number(report.expiresAtMs),
    };
  } catch {
    return undefined;
  }
}

function stateOf(state: streamV1ShardMap.ShardState): ShardState {
  switch (state) {
    case streamV1ShardMap.ShardState.SHARD_STATE_ACTIVE:
      return 'active';
    case streamV1ShardMap.ShardState.SHARD_STATE_DRAINING:
      return 'draining';
    case streamV1ShardMap.ShardState.SHARD_STATE_RETIRED:
      return 'retired';
    default:
      throw new ShardMapError('MAP_MALFORMED', `unknown shard state ${String(state)}`);
  }
}
