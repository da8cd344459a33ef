import { checkIndex, checkSize } from './checks.js';
import { HASH_SIZE, type MerkleHasher } from './hasher.js';
import { consistencyNodes, inclusionNodes, type NodeAddress } from './nodes.js';
import { ProofError } from './proof-error.js';

/**
 * An in-memory RFC 9162 tree that keeps every level packed: level l is one Uint8Array holding
 * ceil(size / 2^l) hashes of 32 bytes, node i at bytes [32i, 32i + 32). A lone last node of a level is
 * carried up unchanged, so node (l, i) is MTH of leaves [i * 2^l, min((i + 1) * 2^l, size)), as
 * {@link NodeAddress} defines. Immutable; every hash it returns is a fresh copy.
 */
export class MerkleTree {
  /** The number of leaves. */
  readonly size: number;
  readonly #hasher: MerkleHasher;
  readonly #levels: readonly Uint8Array[];

  private constructor(hasher: MerkleHasher, levels: readonly Uint8Array[], size: number) {
    this.#hasher = hasher;
    this.#levels = levels;
    this.size = size;
  }

  /** The tree whose leaves are `leaves` (raw leaf data, hashed as RFC 9162 leaves). */
  static fromLeaves(hasher: MerkleHasher, leaves: readonly Uint8Array[]): MerkleTree {
    const leafHashes = hasher.hashLeaves(leaves);
    checkLevel(hasher, leafHashes, leaves.length);
    return new MerkleTree(hasher, buildLevels(hasher, leafHashes, leaves.length), leaves.length);
  }

  /**
   * The tree over `count` leaf hashes packed in `packedLeafHashes` (exactly count * 32 bytes, copied).
   * Throws `SIZE_OUT_OF_RANGE` if count is not a safe integer, `HASH_SIZE` if the length is wrong.
   */
  static fromLeafHashes(hasher: MerkleHasher, packedLeafHashes: Uint8Array, count: number): MerkleTree {
    checkSize(count, 'leaf count');
    if (packedLeafHashes.length !== count * HASH_SIZE) {
      throw new ProofError(
        'HASH_SIZE',
        `${packedLeafHashes.length} bytes of leaf hashes, want ${count} * 32`,
      );
    }
    return new MerkleTree(hasher, buildLevels(hasher, new Uint8Array(packedLeafHashes), count), count);
  }

  /** MTH of all leaves; SHA-256("") for the empty tree. */
  root(): Uint8Array {
    if (this.size === 0) return this.#hasher.emptyRoot();
    return this.node(this.#levels.length - 1, 0);
  }

  /** The hash of leaf `index`. Throws `INDEX_OUT_OF_RANGE` unless 0 <= index < size. */
  leafHash(index: number): Uint8Array {
    checkIndex(index, this.size);
    return this.node(0, index);
  }

  /**
   * The hash of node (level, index) (see {@link NodeAddress}), perfect or ephemeral.
   * Throws `INDEX_OUT_OF_RANGE` if the tree has no such node.
   */
  node(level: number, index: number): Uint8Array {
    const packed = Number.isSafeInteger(level) && level >= 0 ? this.#levels[level] : undefined;
    if (
      packed === undefined ||
      !Number.isSafeInteger(index) ||
      index < 0 ||
      index >= packed.length / HASH_SIZE
    ) {
      throw new ProofError('INDEX_OUT_OF_RANGE', `no node (${level}, ${index}) in a tree of ${this.size}`);
    }
    return packed.slice(index * HASH_SIZE, (index + 1) * HASH_SIZE);
  }

  /**
   * The inclusion proof of leaf `index` (RFC 9162 §2.1.3.1). Throws `INDEX_OUT_OF_RANGE`.
   *
   * With `allocate`, the hashes are copied into one block of `allocate(32 * count)` bytes and returned
   * as consecutive 32-byte views of it (subarray), instead of a fresh array each: one allocation per
   * proof, and views of the allocator's kind (a Node Buffer's subarrays are Buffers, as protobuf
   * writers want them). The block must have at least the bytes asked.
   */
  inclusionProof(index: number, allocate?: (bytes: number) => Uint8Array): Uint8Array[] {
    const nodes = inclusionNodes(index, this.size);
    if (allocate === undefined) return this.#hashesOf(nodes);
    const block = allocate(nodes.length * HASH_SIZE);
    if (block.length < nodes.length * HASH_SIZE) {
      throw new ProofError(
        'HASH_SIZE',
        `allocate gave ${block.length} bytes, want ${nodes.length * HASH_SIZE}`,
      );
    }
    return nodes.map((n, i) => {
      const packed = this.#levels[n.level] as Uint8Array;
      const at = i * HASH_SIZE;
      const from = n.index * HASH_SIZE;
      for (let b = 0; b < HASH_SIZE; b++) block[at + b] = packed[from + b] as number;
      return block.subarray(at, at + HASH_SIZE);
    });
  }

  /**
   * Whether `hashes` is exactly the inclusion proof of leaf `index` ({@link inclusionProof}), compared
   * in place: no copy of a node, for a caller checking a proof it was handed against this tree.
   * Throws `INDEX_OUT_OF_RANGE` unless 0 <= index < size.
   */
  isInclusionProof(index: number, hashes: readonly Uint8Array[]): boolean {
    const nodes = inclusionNodes(index, this.size);
    if (nodes.length !== hashes.length) return false;
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i] as NodeAddress;
      const hash = hashes[i] as Uint8Array;
      const packed = this.#levels[n.level] as Uint8Array;
      if (hash.length !== HASH_SIZE) return false;
      const at = n.index * HASH_SIZE;
      for (let b = 0; b < HASH_SIZE; b++) if (packed[at + b] !== hash[b]) return false;
    }
    return true;
  }

  /**
   * The consistency proof from the first `oldSize` leaves to this tree (RFC 9162 §2.1.4.1); empty when
   * oldSize = size. Throws `SIZE_OUT_OF_RANGE` unless 1 <= oldSize <= size.
   */
  consistencyProof(oldSize: number): Uint8Array[] {
    return this.#hashesOf(consistencyNodes(oldSize, this.size));
  }

  #hashesOf(nodes: readonly NodeAddress[]): Uint8Array[] {
    return nodes.map((n) => this.node(n.level, n.index));
  }
}

/** MTH over raw leaf data (RFC 9162 §2.1.1), without keeping the levels. */
export function merkleRoot(hasher: MerkleHasher, leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return hasher.emptyRoot();
  let level = hasher.hashLeaves(leaves);
  checkLevel(hasher, level, leaves.length);
  for (let count = leaves.length; count > 1; count = Math.ceil(count / 2)) {
    level = nextLevel(hasher, level, count);
  }
  return level.slice(0, HASH_SIZE);
}

/**
 * MTH over `count` leaf hashes packed in `packedLeafHashes` (exactly count * 32 bytes), keeping one
 * level at a time: for a caller that needs the root of a large tree, not its proofs. Throws as
 * {@link MerkleTree.fromLeafHashes}.
 */
export function merkleRootOfLeafHashes(
  hasher: MerkleHasher,
  packedLeafHashes: Uint8Array,
  count: number,
): Uint8Array {
  checkSize(count, 'leaf count');
  if (packedLeafHashes.length !== count * HASH_SIZE) {
    throw new ProofError('HASH_SIZE', `${packedLeafHashes.length} bytes of leaf hashes, want ${count} * 32`);
  }
  if (count === 0) return hasher.emptyRoot();
  let level = packedLeafHashes;
  for (let n = count; n > 1; n = Math.ceil(n / 2)) level = nextLevel(hasher, level, n);
  return level.slice(0, HASH_SIZE);
}

/** Every level from the leaves (level 0) to the root; [leafHashes] when count <= 1. */
function buildLevels(hasher: MerkleHasher, leafHashes: Uint8Array, count: number): Uint8Array[] {
  const levels = [leafHashes];
  let level = leafHashes;
  for (let n = count; n > 1; n = Math.ceil(n / 2)) {
    level = nextLevel(hasher, level, n);
    levels.push(level);
  }
  return levels;
}

/** The level above `count` packed hashes: their pair hashes, and the lone last one carried up. */
function nextLevel(hasher: MerkleHasher, level: Uint8Array, count: number): Uint8Array {
  const parents = hasher.hashPairs(level, count);
  checkLevel(hasher, parents, Math.floor(count / 2));
  if (count % 2 === 0) return parents;
  const next = new Uint8Array(parents.length + HASH_SIZE);
  next.set(parents);
  next.set(level.subarray((count - 1) * HASH_SIZE, count * HASH_SIZE), parents.length);
  return next;
}

/** Guards against a faulty batch kernel: it must return exactly `count` packed hashes. */
function checkLevel(hasher: MerkleHasher, packed: Uint8Array, count: number): void {
  if (packed.length !== count * HASH_SIZE) {
    throw new ProofError(
      'HASH_SIZE',
      `hasher ${hasher.name} returned ${packed.length} bytes, want ${count} * 32`,
    );
  }
}
