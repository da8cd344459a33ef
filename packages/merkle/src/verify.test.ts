import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assembleProof } from './assemble-proof.js';
import { HASH_SIZE, type MerkleHasher, portableHasher } from './hasher.js';
import {
  compactRangeNodes,
  consistencyNodes,
  inclusionNodes,
  type NodeAddress,
  nodesToFetch,
} from './nodes.js';
import { ProofError, type ProofErrorCode } from './proof-error.js';
import {
  refLeafHash,
  refNodeHash,
  refRoot,
  rfcVerifyConsistency,
  rfcVerifyInclusion,
  testLeaves,
} from './reference.test-helper.js';
import {
  rootFromConsistencyProof,
  rootFromInclusionProof,
  verifyConsistency,
  verifyInclusion,
} from './verify.js';

// The tree of 7 leaves d0..d6; l_i = leaf hash of d_i, hAB = hash of the subtree over leaves A..B.
//
//                    root = h06
//                 /              \
//            h03                    h46
//          /     \                /     \
//       h01       h23          h45       l6
//      /   \     /   \        /   \       |
//     l0   l1   l2   l3      l4   l5     l6
const d = testLeaves(7);
const l = d.map(refLeafHash) as [
  Uint8Array,
  Uint8Array,
  Uint8Array,
  Uint8Array,
  Uint8Array,
  Uint8Array,
  Uint8Array,
];
const h01 = refNodeHash(l[0], l[1]);
const h23 = refNodeHash(l[2], l[3]);
const h45 = refNodeHash(l[4], l[5]);
const h03 = refNodeHash(h01, h23);
const h46 = refNodeHash(h45, l[6]);
const root = refNodeHash(h03, h46);
const rootOf = (size: number): Uint8Array => refRoot(d.slice(0, size));

const hasher = portableHasher();

function codeOf(run: () => unknown): ProofErrorCode | undefined {
  try {
    run();
  } catch (e) {
    if (e instanceof ProofError) return e.code;
    throw e;
  }
  return undefined;
}

/** A hasher that counts its calls, to show shapes are checked before any hashing. */
function countingHasher(): { hasher: MerkleHasher; calls: () => number } {
  let calls = 0;
  const counted: MerkleHasher = {
    ...hasher,
    hashChildren(left, right) {
      calls++;
      return hasher.hashChildren(left, right);
    },
  };
  return { hasher: counted, calls: () => calls };
}

describe('inclusion proofs in the 7-leaf tree', () => {
  const table: [index: number, proof: Uint8Array[]][] = [
    [0, [l[1], h23, h46]],
    [1, [l[0], h23, h46]],
    [2, [l[3], h01, h46]],
    [3, [l[2], h01, h46]],
    [4, [l[5], l[6], h03]],
    [5, [l[4], l[6], h03]],
    [6, [h45, h03]],
  ];
  it.each(table)('leaf %i verifies', (index, proof) => {
    expect(() => verifyInclusion(hasher, index, 7, l[index] as Uint8Array, proof, root)).not.toThrow();
    expect(rootFromInclusionProof(hasher, index, 7, l[index] as Uint8Array, proof)).toEqual(root);
  });

  const bad: [string, () => void, ProofErrorCode][] = [
    ['index = size', () => verifyInclusion(hasher, 7, 7, l[6], [h45, h03], root), 'INDEX_OUT_OF_RANGE'],
    ['negative index', () => verifyInclusion(hasher, -1, 7, l[0], [], root), 'INDEX_OUT_OF_RANGE'],
    ['fractional index', () => verifyInclusion(hasher, 0.5, 7, l[0], [], root), 'INDEX_OUT_OF_RANGE'],
    ['unsafe size', () => verifyInclusion(hasher, 0, 2 ** 53, l[0], [], root), 'SIZE_OUT_OF_RANGE'],
    ['one hash short', () => verifyInclusion(hasher, 6, 7, l[6], [h45], root), 'PROOF_SIZE'],
    ['one hash too many', () => verifyInclusion(hasher, 6, 7, l[6], [h45, h03, h03], root), 'PROOF_SIZE'],
    [
      '31-byte proof hash',
      () => verifyInclusion(hasher, 6, 7, l[6], [h45, h03.subarray(1)], root),
      'HASH_SIZE',
    ],
    [
      '33-byte leaf hash',
      () => verifyInclusion(hasher, 6, 7, new Uint8Array(33), [h45, h03], root),
      'HASH_SIZE',
    ],
    ['empty root', () => verifyInclusion(hasher, 6, 7, l[6], [h45, h03], new Uint8Array(0)), 'HASH_SIZE'],
    ['wrong leaf', () => verifyInclusion(hasher, 6, 7, l[5], [h45, h03], root), 'ROOT_MISMATCH'],
    ['siblings swapped', () => verifyInclusion(hasher, 6, 7, l[6], [h03, h45], root), 'ROOT_MISMATCH'],
    [
      'wrong index, same proof length',
      () => verifyInclusion(hasher, 5, 7, l[6], [h45, h03], root),
      'PROOF_SIZE',
    ],
    ['wrong index', () => verifyInclusion(hasher, 1, 7, l[0], [l[1], h23, h46], root), 'ROOT_MISMATCH'],
    [
      'root of size 6',
      () => verifyInclusion(hasher, 0, 7, l[0], [l[1], h23, h46], rootOf(6)),
      'ROOT_MISMATCH',
    ],
  ];
  it.each(bad)('rejects %s', (_, run, code) => {
    expect(codeOf(run)).toBe(code);
  });
});

describe('consistency proofs to the 7-leaf tree', () => {
  const table: [size1: number, proof: Uint8Array[]][] = [
    [1, [l[1], h23, h46]],
    [2, [h23, h46]],
    [3, [l[2], l[3], h01, h46]],
    [4, [h46]],
    [5, [l[4], l[5], l[6], h03]],
    [6, [h45, l[6], h03]],
    [7, []],
  ];
  it.each(table)('from size %i verifies', (size1, proof) => {
    expect(() => verifyConsistency(hasher, size1, 7, proof, rootOf(size1), root)).not.toThrow();
    expect(rootFromConsistencyProof(hasher, size1, 7, proof, rootOf(size1))).toEqual(root);
  });

  const r3 = rootOf(3);
  const p3 = [l[2], l[3], h01, h46];
  const bad: [string, () => void, ProofErrorCode][] = [
    ['size1 = 0', () => verifyConsistency(hasher, 0, 7, [], hasher.emptyRoot(), root), 'SIZE_OUT_OF_RANGE'],
    ['size1 > size2', () => verifyConsistency(hasher, 8, 7, [], root, root), 'SIZE_OUT_OF_RANGE'],
    ['fractional size', () => verifyConsistency(hasher, 2.5, 7, p3, r3, root), 'SIZE_OUT_OF_RANGE'],
    ['equal sizes, non-empty proof', () => verifyConsistency(hasher, 7, 7, [h03], root, root), 'PROOF_SIZE'],
    ['equal sizes, other root', () => verifyConsistency(hasher, 7, 7, [], root, r3), 'ROOT_MISMATCH'],
    ['empty proof', () => verifyConsistency(hasher, 3, 7, [], r3, root), 'PROOF_SIZE'],
    ['truncated', () => verifyConsistency(hasher, 3, 7, p3.slice(0, 3), r3, root), 'PROOF_SIZE'],
    ['root1 prepended', () => verifyConsistency(hasher, 3, 7, [r3, ...p3], r3, root), 'PROOF_SIZE'],
    ['short root1', () => verifyConsistency(hasher, 3, 7, p3, r3.subarray(2), root), 'HASH_SIZE'],
    ['long root2', () => verifyConsistency(hasher, 3, 7, p3, r3, new Uint8Array(64)), 'HASH_SIZE'],
    [
      'empty proof hash',
      () => verifyConsistency(hasher, 3, 7, [l[2], new Uint8Array(0), h01, h46], r3, root),
      'HASH_SIZE',
    ],
    ['swapped roots', () => verifyConsistency(hasher, 3, 7, p3, root, r3), 'ROOT_MISMATCH'],
    ['wrong root1', () => verifyConsistency(hasher, 3, 7, p3, rootOf(2), root), 'ROOT_MISMATCH'],
    ['wrong root2', () => verifyConsistency(hasher, 3, 7, p3, r3, rootOf(6)), 'ROOT_MISMATCH'],
    [
      'last hash changed',
      () => verifyConsistency(hasher, 3, 7, [l[2], l[3], h01, h45], r3, root),
      'ROOT_MISMATCH',
    ],
    ['proof of 4 -> 7 for 3 -> 7', () => verifyConsistency(hasher, 3, 7, [h46], r3, root), 'PROOF_SIZE'],
  ];
  it.each(bad)('rejects %s', (_, run, code) => {
    expect(codeOf(run)).toBe(code);
  });
});

describe('the root-computing helpers check shapes too', () => {
  const cases: [string, () => unknown, ProofErrorCode][] = [
    [
      'inclusion, index = size',
      () => rootFromInclusionProof(hasher, 7, 7, l[6], [h45, h03]),
      'INDEX_OUT_OF_RANGE',
    ],
    ['inclusion, size 0', () => rootFromInclusionProof(hasher, 0, 0, l[0], []), 'INDEX_OUT_OF_RANGE'],
    ['inclusion, unsafe size', () => rootFromInclusionProof(hasher, 0, -1, l[0], []), 'SIZE_OUT_OF_RANGE'],
    ['inclusion, proof size', () => rootFromInclusionProof(hasher, 6, 7, l[6], [h45]), 'PROOF_SIZE'],
    [
      'inclusion, leaf size',
      () => rootFromInclusionProof(hasher, 6, 7, h45.subarray(3), [h45, h03]),
      'HASH_SIZE',
    ],
    ['consistency, size1 = 0', () => rootFromConsistencyProof(hasher, 0, 7, [], root), 'SIZE_OUT_OF_RANGE'],
    [
      'consistency, size1 > size2',
      () => rootFromConsistencyProof(hasher, 7, 6, [], root),
      'SIZE_OUT_OF_RANGE',
    ],
    ['consistency, equal sizes', () => rootFromConsistencyProof(hasher, 7, 7, [h03], root), 'PROOF_SIZE'],
    ['consistency, proof size', () => rootFromConsistencyProof(hasher, 4, 7, [], rootOf(4)), 'PROOF_SIZE'],
    [
      'consistency, root1 size',
      () => rootFromConsistencyProof(hasher, 4, 7, [h46], new Uint8Array(0)),
      'HASH_SIZE',
    ],
    [
      'consistency, wrong root1',
      () => rootFromConsistencyProof(hasher, 6, 7, [h45, l[6], h03], root),
      'ROOT_MISMATCH',
    ],
  ];
  it.each(cases)('%s', (_, run, code) => {
    expect(codeOf(run)).toBe(code);
  });
});

describe('shapes are checked before any hashing', () => {
  const cases: [string, (h: MerkleHasher) => void][] = [
    ['inclusion, index out of range', (h) => verifyInclusion(h, 9, 7, l[0], [l[1], h23, h46], root)],
    ['inclusion, proof size', (h) => verifyInclusion(h, 0, 7, l[0], [l[1], h23], root)],
    ['inclusion, last hash size', (h) => verifyInclusion(h, 0, 7, l[0], [l[1], h23, h46.subarray(1)], root)],
    ['inclusion, root size', (h) => verifyInclusion(h, 0, 7, l[0], [l[1], h23, h46], root.subarray(1))],
    ['consistency, sizes', (h) => verifyConsistency(h, 9, 7, [h46], rootOf(4), root)],
    ['consistency, proof size', (h) => verifyConsistency(h, 4, 7, [h46, h46], rootOf(4), root)],
    [
      'consistency, last hash size',
      (h) => verifyConsistency(h, 6, 7, [h45, l[6], new Uint8Array(1)], rootOf(6), root),
    ],
    ['consistency, root2 size', (h) => verifyConsistency(h, 4, 7, [h46], rootOf(4), new Uint8Array(31))],
  ];
  it.each(cases)('%s', (_, run) => {
    const { hasher: counting, calls } = countingHasher();
    expect(() => run(counting)).toThrow(ProofError);
    expect(calls()).toBe(0);
  });
});

describe('sizes up to 2^53 - 1 follow the RFC 9162 algorithm', () => {
  // A virtual tree whose leaves all have the same hash x: its perfect node of level L has hash
  // P_L = H(P_{L-1}, P_{L-1}), so a storage fetcher answers any node at once, and proofs of trees of
  // any safe size can be assembled (assembleProof) and checked by both our verifier and the RFC's own
  // step-by-step algorithm (BigInt, test-only).
  const perfect = [refLeafHash(Uint8Array.of(42))];
  for (let level = 1; level <= 53; level++) {
    const below = perfect[level - 1] as Uint8Array;
    perfect.push(refNodeHash(below, below));
  }
  const fetch = (nodes: readonly NodeAddress[]): Uint8Array[] =>
    nodes.map((n) => perfect[n.level] as Uint8Array);
  const virtualRoot = (size: number): Uint8Array => {
    const nodes = compactRangeNodes(size);
    return assembleProof(hasher, [{ level: 53, index: 0 }], size, fetch(nodes))[0] as Uint8Array;
  };
  const bigSize = fc.integer({ min: 2 ** 31, max: Number.MAX_SAFE_INTEGER });
  const pick = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }); // position: pick % n

  it('inclusion', () => {
    fc.assert(
      fc.property(bigSize, pick, (size, p) => {
        const index = p % size;
        const nodes = inclusionNodes(index, size);
        const proof = assembleProof(hasher, nodes, size, fetch(nodesToFetch(nodes, size)));
        const root = virtualRoot(size);
        const leaf = perfect[0] as Uint8Array;
        expect(rfcVerifyInclusion(index, size, leaf, proof, root)).toBe(true);
        expect(() => verifyInclusion(hasher, index, size, leaf, proof, root)).not.toThrow();
        expect(codeOf(() => verifyInclusion(hasher, index, size, leaf, proof.slice(1), root))).toBe(
          'PROOF_SIZE',
        );
        expect(codeOf(() => verifyInclusion(hasher, index, size, leaf, proof, virtualRoot(size - 1)))).toBe(
          'ROOT_MISMATCH',
        );
      }),
      { numRuns: 60 },
    );
  });

  it('consistency', () => {
    fc.assert(
      fc.property(bigSize, pick, (size2, p) => {
        const size1 = 1 + (p % size2);
        const nodes = consistencyNodes(size1, size2);
        const proof = assembleProof(hasher, nodes, size2, fetch(nodesToFetch(nodes, size2)));
        const root1 = virtualRoot(size1);
        const root2 = virtualRoot(size2);
        expect(rfcVerifyConsistency(size1, size2, proof, root1, root2)).toBe(true);
        expect(() => verifyConsistency(hasher, size1, size2, proof, root1, root2)).not.toThrow();
        expect(rootFromConsistencyProof(hasher, size1, size2, proof, root1)).toEqual(root2);
        if (size1 < size2) {
          expect(codeOf(() => verifyConsistency(hasher, size1, size2, [...proof, root1], root1, root2))).toBe(
            'PROOF_SIZE',
          );
          expect(codeOf(() => verifyConsistency(hasher, size1, size2, proof, root2, root1))).toBe(
            'ROOT_MISMATCH',
          );
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('hashes are not aliased', () => {
  it('the root of an empty inclusion proof is a copy of the leaf hash', () => {
    const leaf = l[0].slice();
    const computed = rootFromInclusionProof(hasher, 0, 1, leaf, []);
    computed.fill(0);
    expect(leaf).toEqual(l[0]);
    expect(leaf.length).toBe(HASH_SIZE);
  });
});
