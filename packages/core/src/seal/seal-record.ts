import { HASH_SIZE } from '@msi/merkle';
import { isUint, MAX_U32, MAX_U64, recordHeader } from '../encoding/index.js';
import { SealError } from './seal-error.js';

/** `"MSIS" || 0x01`: the header of seal record v1. */
export const SEAL_HEADER = recordHeader('MSIS', 1);

/**
 * A shard seal (seal record v1, docs/PROOFS.md §5): the events of one shard published since its
 * previous seal, as the root of a tree over their leaf hashes in stream order. Counters are safe
 * integers; times are microseconds since the epoch.
 */
export interface SealRecord {
  /** u32. */
  readonly shard: number;
  /** 0, 1, 2, … per shard, gapless. */
  readonly sealNumber: number;
  /** First stream sequence covered (inclusive). */
  readonly streamStart: number;
  /** One past the last stream sequence covered (exclusive); > streamStart. */
  readonly streamEnd: number;
  /** Number of events, >= 1. */
  readonly leafCount: number;
  /** The largest received_at of the sealed events. */
  readonly maxReceivedAt: number;
  /** MTH over the event leaf hashes, 32 bytes. */
  readonly root: Uint8Array;
}

/** Checks every rule of seal record v1 and throws SealError for the first broken one, in field order. */
export function validateSeal(seal: SealRecord): void {
  if (!isUint(seal.shard, MAX_U32)) throw new SealError('FIELD_RANGE', 'shard', 'shard: not a u32');
  checkCounter('seal_number', seal.sealNumber);
  checkCounter('stream_start', seal.streamStart);
  checkCounter('stream_end', seal.streamEnd);
  if (seal.streamStart >= seal.streamEnd) {
    throw new SealError('STREAM_RANGE', 'stream_end', 'stream_end: must be greater than stream_start');
  }
  checkCounter('leaf_count', seal.leafCount);
  if (seal.leafCount === 0) throw new SealError('EMPTY_SEAL', 'leaf_count', 'leaf_count: must be at least 1');
  if (!isUint(seal.maxReceivedAt, MAX_U64) || seal.maxReceivedAt === 0) {
    throw new SealError('TIME_INVALID', 'max_received_at', 'max_received_at: not in [1, 2^53 - 1] µs');
  }
  if (seal.root.length !== HASH_SIZE) {
    throw new SealError('ROOT_SIZE', 'root', `root: has ${seal.root.length} bytes, want ${HASH_SIZE}`);
  }
}

function checkCounter(field: string, value: number): void {
  if (!isUint(value, MAX_U64)) throw new SealError('FIELD_RANGE', field, `${field}: not in [0, 2^53 - 1]`);
}
