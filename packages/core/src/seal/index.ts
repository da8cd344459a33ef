export { decodeSeal, encodeSeal, SEAL_RECORD_SIZE, sealLeafHash } from './seal-codec.js';
export { SealError, type SealErrorCode } from './seal-error.js';
export { type SealRecord, validateSeal } from './seal-record.js';
export { type SealedShard, type SealShardInput, sealShard } from './seal-shard.js';
