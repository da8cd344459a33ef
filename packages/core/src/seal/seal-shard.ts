import { HASH_SIZE, type MerkleHasher, MerkleTree } from '@msi/merkle';
import { SealError } from './seal-error.js';
import { type SealRecord, validateSeal } from './seal-record.js';

/** What an aggregator knows when it seals a shard's interval. */
export interface SealShardInput {
  readonly shard: number;
  readonly sealNumber: number;
  readonly streamStart: number;
  readonly streamEnd: number;
  /** The event leaf hashes in stream order (stream sequence, then position in the batch), packed 32 B each. */
  readonly leafHashes: Uint8Array;
  /** The largest received_at of the sealed events, µs. */
  readonly maxReceivedAt: number;
}

/** A sealed interval: the record to publish and the tree to serve event proofs from. */
export interface SealedShard {
  readonly record: SealRecord;
  readonly tree: MerkleTree;
}

/**
 * Seals a shard's interval (docs/PROOFS.md §5): builds the tree over the packed event leaf hashes and
 * the seal record holding its root. Pure. Sizes are checked before any hashing. Throws SealError
 * (LEAF_HASHES_SIZE, EMPTY_SEAL, STREAM_RANGE, FIELD_RANGE, TIME_INVALID).
 */
export function sealShard(hasher: MerkleHasher, input: SealShardInput): SealedShard {
  const { leafHashes } = input;
  if (leafHashes.length % HASH_SIZE !== 0) {
    throw new SealError(
      'LEAF_HASHES_SIZE',
      'leaf_count',
      `leaf hashes: ${leafHashes.length} bytes is not a multiple of ${HASH_SIZE}`,
    );
  }
  const leafCount = leafHashes.length / HASH_SIZE;
  const { shard, sealNumber, streamStart, streamEnd, maxReceivedAt } = input;
  const unrooted = { shard, sealNumber, streamStart, streamEnd, leafCount, maxReceivedAt };
  validateSeal({ ...unrooted, root: new Uint8Array(HASH_SIZE) });
  const tree = MerkleTree.fromLeafHashes(hasher, leafHashes, leafCount);
  return { record: { ...unrooted, root: tree.root() }, tree };
}
