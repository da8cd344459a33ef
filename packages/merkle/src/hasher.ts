import { sha256 } from '@noble/hashes/sha2.js';

/** Size in bytes of every hash in an RFC 9162 tree (SHA-256). */
export const HASH_SIZE = 32;

const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

/**
 * The hashing port of the Merkle core (RFC 9162 §2.1 with SHA-256).
 *
 * Implementations MUST produce exactly:
 *   hashLeaf(d)        = SHA-256(0x00 || d)
 *   hashChildren(l, r) = SHA-256(0x01 || l || r)
 *   emptyRoot()        = SHA-256("")
 * The batch methods exist so a kernel (WASM, native) can hash many nodes per call; they MUST give the
 * same bytes as calling the single-hash methods in a loop. Returned arrays are owned by the caller.
 */
export interface MerkleHasher {
  /** A short name for benchmarks and logs, e.g. "portable", "node", "wasm-simd". */
  readonly name: string;
  hashLeaf(data: Uint8Array): Uint8Array;
  hashChildren(left: Uint8Array, right: Uint8Array): Uint8Array;
  emptyRoot(): Uint8Array;
  /** Leaf hashes of `leaves`, packed: bytes [32*i, 32*i+32) hold leaf i's hash. */
  hashLeaves(leaves: readonly Uint8Array[]): Uint8Array;
  /**
   * One level up: given `count` hashes packed in `level`, returns floor(count / 2) parent hashes,
   * packed, parent i = hashChildren(level[2i], level[2i+1]). A lone last node is NOT included
   * (the caller carries it up). Precondition: level.length >= count * 32.
   */
  hashPairs(level: Uint8Array, count: number): Uint8Array;
}

/** The portable default: pure JavaScript (@noble/hashes), runs in browsers and every Node version. */
export function portableHasher(): MerkleHasher {
  const leafInput = (data: Uint8Array): Uint8Array => {
    const input = new Uint8Array(1 + data.length);
    input[0] = LEAF_PREFIX;
    input.set(data, 1);
    return input;
  };
  const nodeInput = new Uint8Array(1 + 2 * HASH_SIZE);
  nodeInput[0] = NODE_PREFIX;
  return {
    name: 'portable',
    hashLeaf: (data) => sha256(leafInput(data)),
    hashChildren(left, right) {
      nodeInput.set(left, 1);
      nodeInput.set(right, 1 + HASH_SIZE);
      return sha256(nodeInput);
    },
    emptyRoot: () => sha256(new Uint8Array(0)),
    hashLeaves(leaves) {
      const out = new Uint8Array(leaves.length * HASH_SIZE);
      leaves.forEach((leaf, i) => {
        out.set(sha256(leafInput(leaf)), i * HASH_SIZE);
      });
      return out;
    },
    hashPairs(level, count) {
      const parents = Math.floor(count / 2);
      const out = new Uint8Array(parents * HASH_SIZE);
      for (let i = 0; i < parents; i++) {
        nodeInput.set(level.subarray(2 * i * HASH_SIZE, (2 * i + 2) * HASH_SIZE), 1);
        out.set(sha256(nodeInput), i * HASH_SIZE);
      }
      return out;
    },
  };
}
