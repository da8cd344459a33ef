import { popCount } from './bits.js';
import { checkHash, checkHashes, checkSize } from './checks.js';
import type { MerkleHasher } from './hasher.js';
import { ProofError } from './proof-error.js';

/** Receives a node whose hash is final: leaf (0, i), or a perfect subtree completed by an append. */
export type NodeVisitor = (level: number, index: number, hash: Uint8Array) => void;

/**
 * An append-only compact range over the leaves [0, size): the roots of the perfect subtrees covering
 * it, left to right (largest first), one per set bit of size — O(log size) hashes that are enough to
 * append more leaves and to compute the root. Their addresses are compactRangeNodes(size).
 */
export class CompactRange {
  readonly #hasher: MerkleHasher;
  readonly #hashes: Uint8Array[];
  #size: number;

  /** An empty range [0, 0). */
  constructor(hasher: MerkleHasher) {
    this.#hasher = hasher;
    this.#hashes = [];
    this.#size = 0;
  }

  /**
   * The range [0, size) from its state (as {@link hashes} returned it; the hashes are copied). State
   * read back from storage is checked: throws `SIZE_OUT_OF_RANGE` unless size is a safe integer,
   * `STATE_SIZE` unless there are popcount(size) hashes, `HASH_SIZE` unless each is 32 bytes.
   */
  static fromState(hasher: MerkleHasher, size: number, hashes: readonly Uint8Array[]): CompactRange {
    checkSize(size, 'range size');
    const want = popCount(size);
    if (hashes.length !== want) {
      throw new ProofError(
        'STATE_SIZE',
        `compact range of size ${size} needs ${want} hashes, got ${hashes.length}`,
      );
    }
    checkHashes(hashes, 'compact range hash');
    const range = new CompactRange(hasher);
    for (const hash of hashes) range.#hashes.push(new Uint8Array(hash));
    range.#size = size;
    return range;
  }

  /** The number of leaves in the range. */
  get size(): number {
    return this.#size;
  }

  /** The state: copies of the perfect subtree roots, left to right (see {@link fromState}). */
  hashes(): Uint8Array[] {
    return this.#hashes.map((hash) => new Uint8Array(hash));
  }

  /**
   * Appends the leaf hash `leafHash` as leaf `size`. `onNode`, if given, receives the leaf (0, size) and
   * then every perfect subtree this append completes, bottom-up (copies: the visitor may keep them).
   * Throws `HASH_SIZE` unless leafHash is 32 bytes, `SIZE_OUT_OF_RANGE` if size would pass 2^53 - 1.
   */
  append(leafHash: Uint8Array, onNode?: NodeVisitor): void {
    checkHash(leafHash, 'leaf hash');
    if (this.#size >= Number.MAX_SAFE_INTEGER) {
      throw new ProofError('SIZE_OUT_OF_RANGE', 'compact range is full');
    }
    let hash: Uint8Array = new Uint8Array(leafHash);
    let index = this.#size;
    onNode?.(0, index, new Uint8Array(hash));
    for (let level = 1; index % 2 === 1; level++) {
      hash = this.#hasher.hashChildren(this.#hashes.pop() as Uint8Array, hash);
      index = (index - 1) / 2;
      onNode?.(level, index, new Uint8Array(hash));
    }
    this.#hashes.push(hash);
    this.#size++;
  }

  /** MTH of the range (SHA-256("") when empty). Does not change the range. */
  root(): Uint8Array {
    const last = this.#hashes.length - 1;
    if (last < 0) return this.#hasher.emptyRoot();
    let hash: Uint8Array = new Uint8Array(this.#hashes[last] as Uint8Array);
    for (let i = last - 1; i >= 0; i--) hash = this.#hasher.hashChildren(this.#hashes[i] as Uint8Array, hash);
    return hash;
  }

  /** An independent copy of this range (e.g. to try appends without changing this one). */
  clone(): CompactRange {
    return CompactRange.fromState(this.#hasher, this.#size, this.#hashes);
  }
}
