import { describe, expect, it } from 'vitest';
import { HASH_SIZE, type MerkleHasher, portableHasher } from './hasher.js';
import { MerkleTree, merkleRoot, merkleRootOfLeafHashes } from './merkle-tree.js';
import { ProofError, type ProofErrorCode } from './proof-error.js';
import { refLeafHash, refNodeHash, refPath, refProof, refRoot, testLeaves } from './reference.test-helper.js';

const hasher = portableHasher();
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const hexAll = (bs: readonly Uint8Array[]): string[] => bs.map(hex);

function codeOf(run: () => unknown): ProofErrorCode | undefined {
  try {
    run();
  } catch (e) {
    if (e instanceof ProofError) return e.code;
    throw e;
  }
  return undefined;
}

describe('MerkleTree against the naive RFC 9162 reference', () => {
  const leaves = testLeaves(64);
  for (let size = 1; size <= 64; size++) {
    it(`size ${size}: root, every inclusion proof, every consistency proof`, () => {
      const d = leaves.slice(0, size);
      const tree = MerkleTree.fromLeaves(hasher, d);
      expect(tree.size).toBe(size);
      expect(hex(tree.root())).toBe(hex(refRoot(d)));
      expect(hex(merkleRoot(hasher, d))).toBe(hex(refRoot(d)));
      expect(hex(merkleRootOfLeafHashes(hasher, hasher.hashLeaves(d), size))).toBe(hex(refRoot(d)));
      for (let index = 0; index < size; index++) {
        expect(hex(tree.leafHash(index))).toBe(hex(refLeafHash(d[index] as Uint8Array)));
        expect(hexAll(tree.inclusionProof(index))).toEqual(hexAll(refPath(index, d)));
        const packed = tree.inclusionProof(index, (bytes) => new Uint8Array(bytes + 3));
        expect(hexAll(packed)).toEqual(hexAll(refPath(index, d)));
        packed.forEach((h, i) => {
          expect(h.byteOffset).toBe(i * 32);
          expect(h.buffer).toBe((packed[0] as Uint8Array).buffer);
        });
        const proof = refPath(index, d);
        expect(tree.isInclusionProof(index, proof)).toBe(true);
        if (proof.length > 0) {
          const changed = proof.map((h, i) =>
            i === proof.length - 1 ? Uint8Array.from(h, (x, j) => (j === 31 ? x ^ 1 : x)) : h,
          );
          expect(tree.isInclusionProof(index, changed)).toBe(false);
          expect(tree.isInclusionProof(index, proof.slice(1))).toBe(false);
          expect(tree.isInclusionProof(index, [...proof, proof[0] as Uint8Array])).toBe(false);
          expect(tree.isInclusionProof(index, [proof[0]?.subarray(1) as Uint8Array, ...proof.slice(1)])).toBe(
            false,
          );
        }
        for (let other = 0; other < size; other++) {
          const same = hexAll(refPath(other, d)).join() === hexAll(proof).join();
          expect(tree.isInclusionProof(index, refPath(other, d))).toBe(same);
        }
      }
      for (let oldSize = 1; oldSize <= size; oldSize++) {
        expect(hexAll(tree.consistencyProof(oldSize))).toEqual(hexAll(refProof(oldSize, d)));
      }
    });
  }
});

describe('MerkleTree levels', () => {
  // The 5-leaf tree, with leaf 4 carried up as it is:
  //
  //              (3,0) root
  //             /         \
  //        (2,0)           (2,1) = leaf 4
  //       /     \            |
  //   (1,0)     (1,1)      (1,2) = leaf 4
  //   /   \     /   \        |
  //  l0   l1   l2   l3       l4
  const d = testLeaves(5);
  const l = d.map(refLeafHash);
  const tree = MerkleTree.fromLeaves(hasher, d);
  const at = (i: number): Uint8Array => l[i] as Uint8Array;

  it('keeps every node, carrying a lone last node up', () => {
    const h01 = refNodeHash(at(0), at(1));
    const h23 = refNodeHash(at(2), at(3));
    expect(hex(tree.node(1, 0))).toBe(hex(h01));
    expect(hex(tree.node(1, 1))).toBe(hex(h23));
    expect(hex(tree.node(1, 2))).toBe(hex(at(4)));
    expect(hex(tree.node(2, 0))).toBe(hex(refNodeHash(h01, h23)));
    expect(hex(tree.node(2, 1))).toBe(hex(at(4)));
    expect(hex(tree.node(3, 0))).toBe(hex(tree.root()));
  });

  it('refuses an allocator that gives fewer bytes than the proof needs, and a leaf outside the tree', () => {
    expect(codeOf(() => tree.inclusionProof(0, (bytes) => new Uint8Array(bytes - 1)))).toBe('HASH_SIZE');
    expect(codeOf(() => tree.inclusionProof(5, (bytes) => new Uint8Array(bytes)))).toBe('INDEX_OUT_OF_RANGE');
  });

  it('has no nodes outside the tree', () => {
    expect(codeOf(() => tree.node(0, 5))).toBe('INDEX_OUT_OF_RANGE');
    expect(codeOf(() => tree.node(1, 3))).toBe('INDEX_OUT_OF_RANGE');
    expect(codeOf(() => tree.node(4, 0))).toBe('INDEX_OUT_OF_RANGE');
    expect(codeOf(() => tree.node(-1, 0))).toBe('INDEX_OUT_OF_RANGE');
    expect(codeOf(() => tree.node(0, 1.5))).toBe('INDEX_OUT_OF_RANGE');
  });

  it('copies the leaf hashes it is built from, from a Node Buffer too (whose slice() is a view)', () => {
    const packed = Buffer.concat([at(0), at(1), at(2), at(3), at(4)]);
    const built = MerkleTree.fromLeafHashes(hasher, packed, 5);
    const root = hex(built.root());
    packed.fill(0);
    expect(hex(built.root())).toBe(root);
    expect(hex(built.leafHash(0))).toBe(hex(at(0)));
  });

  it('returns copies: changing a returned hash does not change the tree', () => {
    const root = tree.root();
    tree.root().fill(0);
    tree.leafHash(0).fill(0);
    (tree.inclusionProof(0)[0] as Uint8Array).fill(0);
    for (const hash of tree.inclusionProof(0, (bytes) => new Uint8Array(bytes))) hash.fill(0);
    expect(hex(tree.root())).toBe(hex(root));
    expect(hex(tree.leafHash(0))).toBe(hex(at(0)));
  });
});

describe('MerkleTree.fromLeafHashes', () => {
  it('builds the same tree as fromLeaves, from packed hashes it copies', () => {
    const d = testLeaves(11);
    const packed = hasher.hashLeaves(d);
    const tree = MerkleTree.fromLeafHashes(hasher, packed, 11);
    packed.fill(0);
    expect(hex(tree.root())).toBe(hex(refRoot(d)));
    expect(hexAll(tree.inclusionProof(10))).toEqual(hexAll(refPath(10, d)));
  });

  it('rejects a packed array of the wrong length or a bad count', () => {
    const packed = hasher.hashLeaves(testLeaves(3));
    expect(codeOf(() => MerkleTree.fromLeafHashes(hasher, packed, 2))).toBe('HASH_SIZE');
    expect(codeOf(() => MerkleTree.fromLeafHashes(hasher, packed.subarray(1), 3))).toBe('HASH_SIZE');
    expect(codeOf(() => MerkleTree.fromLeafHashes(hasher, packed, -1))).toBe('SIZE_OUT_OF_RANGE');
    expect(codeOf(() => MerkleTree.fromLeafHashes(hasher, packed, 1.5))).toBe('SIZE_OUT_OF_RANGE');
  });
});

describe('the empty tree and a single leaf', () => {
  it('the empty tree has root SHA-256("") and no proofs', () => {
    const tree = MerkleTree.fromLeaves(hasher, []);
    expect(tree.size).toBe(0);
    expect(hex(tree.root())).toBe(hex(refRoot([])));
    expect(hex(merkleRoot(hasher, []))).toBe(hex(hasher.emptyRoot()));
    expect(hex(merkleRootOfLeafHashes(hasher, new Uint8Array(0), 0))).toBe(hex(hasher.emptyRoot()));
    expect(() => merkleRootOfLeafHashes(hasher, new Uint8Array(33), 1)).toThrow(/leaf hashes/);
    expect(codeOf(() => tree.inclusionProof(0))).toBe('INDEX_OUT_OF_RANGE');
    expect(codeOf(() => tree.leafHash(0))).toBe('INDEX_OUT_OF_RANGE');
    expect(codeOf(() => tree.consistencyProof(0))).toBe('SIZE_OUT_OF_RANGE');
  });

  it('a single leaf is its own root, with empty proofs', () => {
    const tree = MerkleTree.fromLeaves(hasher, testLeaves(1));
    expect(hex(tree.root())).toBe(hex(tree.leafHash(0)));
    expect(tree.inclusionProof(0)).toEqual([]);
    expect(tree.consistencyProof(1)).toEqual([]);
  });

  it('rejects consistency proofs from sizes it cannot prove', () => {
    const tree = MerkleTree.fromLeaves(hasher, testLeaves(6));
    expect(codeOf(() => tree.consistencyProof(7))).toBe('SIZE_OUT_OF_RANGE');
    expect(codeOf(() => tree.consistencyProof(0))).toBe('SIZE_OUT_OF_RANGE');
    expect(codeOf(() => tree.inclusionProof(6))).toBe('INDEX_OUT_OF_RANGE');
  });
});

describe('MerkleTree with a batch kernel', () => {
  it('builds each level with one hashPairs call', () => {
    const calls: number[] = [];
    const counting: MerkleHasher = {
      ...hasher,
      name: 'counting',
      hashPairs: (level, count) => {
        calls.push(count);
        return hasher.hashPairs(level, count);
      },
    };
    const tree = MerkleTree.fromLeaves(counting, testLeaves(13));
    expect(calls).toEqual([13, 7, 4, 2]);
    expect(hex(tree.root())).toBe(hex(refRoot(testLeaves(13))));
  });

  it('refuses a kernel that returns the wrong number of hashes', () => {
    const faulty: MerkleHasher = {
      ...hasher,
      name: 'faulty',
      hashPairs: (level, count) => hasher.hashPairs(level, count).subarray(HASH_SIZE),
    };
    expect(codeOf(() => MerkleTree.fromLeaves(faulty, testLeaves(4)))).toBe('HASH_SIZE');
    expect(codeOf(() => merkleRoot(faulty, testLeaves(4)))).toBe('HASH_SIZE');
  });
});
