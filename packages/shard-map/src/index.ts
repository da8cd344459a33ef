export { retireDrained } from './retire-drained.js';
export { decodeReport, decodeShardMap, encodeReport, encodeShardMap } from './shard-map-codec.js';
export { ShardMapFollower, type ShardMapFollowerOptions } from './shard-map-follower.js';
export {
  isCasConflict,
  SHARD_MAP_HISTORY,
  ShardMapStore,
  type ShardStatusReport,
  type StoredShardMap,
} from './shard-map-store.js';
