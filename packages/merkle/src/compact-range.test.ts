import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CompactRange } from './compact-range.js';
import { HASH_SIZE, portableHasher } from './hasher.js';
import { MerkleTree } from './merkle-tree.js';
import { compactRangeNodes } from './nodes.js';
import { ProofError, type ProofErrorCode } from './proof-error.js';
import { refLeafHash, refNodeHash, refRoot, testLeaves } from './reference.test-helper.js';

const hasher = portableHasher();
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function codeOf(run: () => unknown): ProofErrorCode | undefined {
  try {
    run();
  } catch (e) {
    if (e instanceof ProofError) return e.code;
    throw e;
  }
  return undefined;
}

interface Visited {
  level: number;
  index: number;
  hash: string;
}

describe('CompactRange of the 7-leaf tree', () => {
  // Appending leaf 6 to [0, 6) completes only (0,6); the state is then (2,0), (1,2), (0,6):
  //
  //            (2,0)                    .
  //          /       \                 .
  //      (1,0)       (1,1)         (1,2)
  //      /   \       /   \         /   \
  //   (0,0) (0,1) (0,2) (0,3)   (0,4) (0,5)   (0,6)
  const d = testLeaves(7);
  const l = d.map(refLeafHash);
  const at = (i: number): Uint8Array => l[i] as Uint8Array;

  it('visits every completed perfect node, bottom-up after its leaf', () => {
    const range = new CompactRange(hasher);
    const visited: Visited[] = [];
    for (const leaf of l)
      range.append(leaf, (level, index, hash) => visited.push({ level, index, hash: hex(hash) }));
    const h01 = refNodeHash(at(0), at(1));
    const h23 = refNodeHash(at(2), at(3));
    const h45 = refNodeHash(at(4), at(5));
    expect(visited).toEqual([
      { level: 0, index: 0, hash: hex(at(0)) },
      { level: 0, index: 1, hash: hex(at(1)) },
      { level: 1, index: 0, hash: hex(h01) },
      { level: 0, index: 2, hash: hex(at(2)) },
      { level: 0, index: 3, hash: hex(at(3)) },
      { level: 1, index: 1, hash: hex(h23) },
      { level: 2, index: 0, hash: hex(refNodeHash(h01, h23)) },
      { level: 0, index: 4, hash: hex(at(4)) },
      { level: 0, index: 5, hash: hex(at(5)) },
      { level: 1, index: 2, hash: hex(h45) },
      { level: 0, index: 6, hash: hex(at(6)) },
    ]);
    expect(range.size).toBe(7);
    expect(range.hashes().map(hex)).toEqual([hex(refNodeHash(h01, h23)), hex(h45), hex(at(6))]);
    expect(hex(range.root())).toBe(hex(refRoot(d)));
  });

  it('root() does not change the range, clone() is independent', () => {
    const range = new CompactRange(hasher);
    for (const leaf of l.slice(0, 6)) range.append(leaf);
    const before = range.hashes().map(hex);
    expect(hex(range.root())).toBe(hex(range.root()));
    expect(range.hashes().map(hex)).toEqual(before);
    const copy = range.clone();
    copy.append(at(6));
    expect(range.size).toBe(6);
    expect(range.hashes().map(hex)).toEqual(before);
    expect(hex(copy.root())).toBe(hex(refRoot(d)));
  });

  it('the empty range has root SHA-256("") and no hashes', () => {
    const range = new CompactRange(hasher);
    expect(range.size).toBe(0);
    expect(range.hashes()).toEqual([]);
    expect(hex(range.root())).toBe(hex(refRoot([])));
  });

  it('keeps its own copies of appended and visited hashes', () => {
    const range = new CompactRange(hasher);
    const leaf = at(0).slice();
    range.append(leaf, (_level, _index, hash) => hash.fill(7));
    leaf.fill(0);
    range.hashes()[0]?.fill(0);
    expect(hex(range.root())).toBe(hex(at(0)));
  });
});

describe('CompactRange rejects bad input', () => {
  const h = refLeafHash(Uint8Array.of(1));
  const cases: [string, () => unknown, ProofErrorCode][] = [
    ['a short leaf hash', () => new CompactRange(hasher).append(h.subarray(1)), 'HASH_SIZE'],
    ['a state with too few hashes', () => CompactRange.fromState(hasher, 3, [h]), 'STATE_SIZE'],
    ['a state with too many hashes', () => CompactRange.fromState(hasher, 4, [h, h]), 'STATE_SIZE'],
    ['hashes for size 0', () => CompactRange.fromState(hasher, 0, [h]), 'STATE_SIZE'],
    ['a state hash of 33 bytes', () => CompactRange.fromState(hasher, 1, [new Uint8Array(33)]), 'HASH_SIZE'],
    ['a negative size', () => CompactRange.fromState(hasher, -1, []), 'SIZE_OUT_OF_RANGE'],
    ['an unsafe size', () => CompactRange.fromState(hasher, 2 ** 53, [h]), 'SIZE_OUT_OF_RANGE'],
    [
      'an append past 2^53 - 1',
      () =>
        CompactRange.fromState(
          hasher,
          Number.MAX_SAFE_INTEGER,
          Array.from({ length: 53 }, () => h),
        ).append(h),
      'SIZE_OUT_OF_RANGE',
    ],
  ];
  it.each(cases)('%s', (_, run, code) => {
    expect(codeOf(run)).toBe(code);
  });
});

describe('CompactRange properties', () => {
  it('its root equals the MerkleTree root for every prefix; its visitor sees the tree nodes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 150 }), fc.string({ maxLength: 4 }), (size, prefix) => {
        const packed = hasher.hashLeaves(testLeaves(size, prefix));
        const tree = MerkleTree.fromLeafHashes(hasher, packed, size);
        const range = new CompactRange(hasher);
        const visited = new Map<string, string>();
        for (let i = 0; i < size; i++) {
          range.append(tree.leafHash(i), (level, index, hash) => {
            expect(visited.has(`${level}/${index}`)).toBe(false);
            visited.set(`${level}/${index}`, hex(hash));
          });
          const prefixTree = MerkleTree.fromLeafHashes(
            hasher,
            packed.subarray(0, (i + 1) * HASH_SIZE),
            i + 1,
          );
          expect(hex(range.root())).toBe(hex(prefixTree.root()));
        }
        // Exactly the perfect nodes of the tree: floor(size / 2^level) of them on each level.
        let expected = 0;
        for (let level = 0; 2 ** level <= size; level++) {
          const count = Math.floor(size / 2 ** level);
          expected += count;
          for (let index = 0; index < count; index++) {
            expect(visited.get(`${level}/${index}`)).toBe(hex(tree.node(level, index)));
          }
        }
        expect(visited.size).toBe(expected);
        // The state is the tree's nodes at compactRangeNodes(size).
        expect(range.hashes().map(hex)).toEqual(
          compactRangeNodes(size).map((n) => hex(tree.node(n.level, n.index))),
        );
      }),
      { numRuns: 20 },
    );
  });

  it('fromState round-trips: a restored range continues exactly like the original', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 500 }), fc.integer({ min: 1, max: 40 }), (split, more) => {
        const leaves = testLeaves(split + more).map(refLeafHash);
        const original = new CompactRange(hasher);
        for (const leaf of leaves.slice(0, split)) original.append(leaf);
        const restored = CompactRange.fromState(hasher, original.size, original.hashes());
        expect(restored.size).toBe(split);
        expect(restored.hashes().map(hex)).toEqual(original.hashes().map(hex));
        expect(hex(restored.root())).toBe(hex(original.root()));
        const seenOriginal: string[] = [];
        const seenRestored: string[] = [];
        for (const leaf of leaves.slice(split)) {
          original.append(leaf, (lv, i, h) => seenOriginal.push(`${lv}/${i}/${hex(h)}`));
          restored.append(leaf, (lv, i, h) => seenRestored.push(`${lv}/${i}/${hex(h)}`));
        }
        expect(seenRestored).toEqual(seenOriginal);
        expect(hex(restored.root())).toBe(
          hex(MerkleTree.fromLeafHashes(hasher, pack(leaves), leaves.length).root()),
        );
      }),
      { numRuns: 40 },
    );
  });
});

function pack(hashes: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(hashes.length * HASH_SIZE);
  hashes.forEach((h, i) => {
    out.set(h, i * HASH_SIZE);
  });
  return out;
}
