export { type IngestMapReport, liveReports, mayRetire, retireDrainedShards } from './retire-shards.js';
export {
  isRoutable,
  MAX_MAP_SHARDS,
  resizeShardMap,
  type ShardEntry,
  type ShardMap,
  type ShardState,
  seedShardMap,
  servedShardCount,
  validateShardMap,
} from './shard-map.js';
export { ShardMapError, type ShardMapErrorCode } from './shard-map-error.js';
