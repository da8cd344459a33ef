import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compactRangeNodes,
  consistencyNodes,
  inclusionNodes,
  isPerfect,
  type NodeAddress,
  nodesToFetch,
  perfectSubtrees,
} from './nodes.js';
import { ProofError, type ProofErrorCode } from './proof-error.js';
import { decomposeInclusionProof } from './verify.js';

// The tree of 7 leaves, nodes named (level, index). `*` marks ephemeral nodes: on the right border,
// covering fewer than 2^level leaves; (1,3) is leaf 6 carried up, (2,1) covers leaves 4..6.
//
//                         (3,0)* root
//                  /                     \
//            (2,0)                         (2,1)*
//          /       \                     /       \
//      (1,0)       (1,1)             (1,2)       (1,3)*
//      /   \       /   \             /   \         |
//   (0,0) (0,1) (0,2) (0,3)       (0,4) (0,5)    (0,6)
//     0     1     2     3           4     5        6
const n = (level: number, index: number): NodeAddress => ({ level, index });

function codeOf(run: () => unknown): ProofErrorCode | undefined {
  try {
    run();
  } catch (e) {
    if (e instanceof ProofError) return e.code;
    throw e;
  }
  return undefined;
}

describe('inclusionNodes in the 7-leaf tree', () => {
  const table: [index: number, nodes: NodeAddress[]][] = [
    [0, [n(0, 1), n(1, 1), n(2, 1)]],
    [1, [n(0, 0), n(1, 1), n(2, 1)]],
    [2, [n(0, 3), n(1, 0), n(2, 1)]],
    [3, [n(0, 2), n(1, 0), n(2, 1)]],
    [4, [n(0, 5), n(1, 3), n(2, 0)]],
    [5, [n(0, 4), n(1, 3), n(2, 0)]],
    [6, [n(1, 2), n(2, 0)]], // no sibling on level 0: leaf 6 is carried up to (1,3)
  ];
  it.each(table)('leaf %i', (index, want) => {
    expect(inclusionNodes(index, 7)).toEqual(want);
  });
});

describe('consistencyNodes to the 7-leaf tree', () => {
  const table: [size1: number, nodes: NodeAddress[]][] = [
    [1, [n(0, 1), n(1, 1), n(2, 1)]], // power of two: (0,0) is root1 itself and left out
    [2, [n(1, 1), n(2, 1)]],
    [3, [n(0, 2), n(0, 3), n(1, 0), n(2, 1)]], // starts with (0,2), the last perfect subtree of size 3
    [4, [n(2, 1)]],
    [5, [n(0, 4), n(0, 5), n(1, 3), n(2, 0)]],
    [6, [n(1, 2), n(1, 3), n(2, 0)]],
    [7, []],
  ];
  it.each(table)('from size %i', (size1, want) => {
    expect(consistencyNodes(size1, 7)).toEqual(want);
  });
});

describe('perfectSubtrees and compactRangeNodes in the 7-leaf tree', () => {
  it('splits the ephemeral nodes into perfect ones, largest first', () => {
    expect(perfectSubtrees(n(3, 0), 7)).toEqual([n(2, 0), n(1, 2), n(0, 6)]);
    expect(perfectSubtrees(n(2, 1), 7)).toEqual([n(1, 2), n(0, 6)]);
    expect(perfectSubtrees(n(1, 3), 7)).toEqual([n(0, 6)]);
  });
  it('keeps a perfect node as it is', () => {
    expect(perfectSubtrees(n(2, 0), 7)).toEqual([n(2, 0)]);
    expect(perfectSubtrees(n(0, 6), 7)).toEqual([n(0, 6)]);
  });
  it('tells perfect from ephemeral nodes', () => {
    expect([n(2, 0), n(1, 2), n(0, 6)].every((x) => isPerfect(x, 7))).toBe(true);
    expect([n(3, 0), n(2, 1), n(1, 3)].some((x) => isPerfect(x, 7))).toBe(false);
  });
  it('lists the nodes of a compact range, one per set bit of the size', () => {
    expect(compactRangeNodes(7)).toEqual([n(2, 0), n(1, 2), n(0, 6)]);
    expect(compactRangeNodes(8)).toEqual([n(3, 0)]);
    expect(compactRangeNodes(1)).toEqual([n(0, 0)]);
    expect(compactRangeNodes(0)).toEqual([]);
  });
  it('lists the perfect nodes storage must return for a proof', () => {
    expect(nodesToFetch(inclusionNodes(0, 7), 7)).toEqual([n(0, 1), n(1, 1), n(1, 2), n(0, 6)]);
    expect(nodesToFetch(consistencyNodes(6, 7), 7)).toEqual([n(1, 2), n(0, 6), n(2, 0)]);
  });
});

describe('node math rejects bad sizes and indices before anything else', () => {
  const cases: [string, () => unknown, ProofErrorCode][] = [
    ['index = size', () => inclusionNodes(7, 7), 'INDEX_OUT_OF_RANGE'],
    ['negative index', () => inclusionNodes(-1, 7), 'INDEX_OUT_OF_RANGE'],
    ['fractional index', () => inclusionNodes(0.5, 7), 'INDEX_OUT_OF_RANGE'],
    ['empty tree', () => inclusionNodes(0, 0), 'INDEX_OUT_OF_RANGE'],
    ['size above 2^53 - 1', () => inclusionNodes(0, 2 ** 53), 'SIZE_OUT_OF_RANGE'],
    ['NaN size', () => inclusionNodes(0, Number.NaN), 'SIZE_OUT_OF_RANGE'],
    ['size1 > size2', () => consistencyNodes(8, 7), 'SIZE_OUT_OF_RANGE'],
    ['size1 = 0', () => consistencyNodes(0, 7), 'SIZE_OUT_OF_RANGE'],
    ['size1 = size2 = 0', () => consistencyNodes(0, 0), 'SIZE_OUT_OF_RANGE'],
    ['infinite size2', () => consistencyNodes(1, Number.POSITIVE_INFINITY), 'SIZE_OUT_OF_RANGE'],
    ['negative range size', () => compactRangeNodes(-1), 'SIZE_OUT_OF_RANGE'],
  ];
  it.each(cases)('%s', (_, run, code) => {
    expect(codeOf(run)).toBe(code);
  });
});

describe('node math over the whole safe-integer range', () => {
  const size = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });
  // Picks a position in [0, n): `pick % n` (fc.double fractions cluster at 0 and 1).
  const pick = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });

  it('an inclusion proof has as many nodes as the verifier expects hashes, below the root', () => {
    fc.assert(
      fc.property(size, pick, (s, p) => {
        const index = p % s;
        const nodes = inclusionNodes(index, s);
        const { inner, border } = decomposeInclusionProof(index, s);
        expect(nodes.length).toBe(inner + border);
        expect(nodes.length).toBeLessThanOrEqual(53);
        // Siblings: one per level at most, bottom-up, each inside the tree.
        nodes.forEach((node, i) => {
          if (i > 0) expect(node.level).toBeGreaterThan((nodes[i - 1] as NodeAddress).level);
          expect(node.index * 2 ** node.level).toBeLessThan(s);
        });
        // At most one ephemeral node (where the path meets the right border).
        expect(nodes.filter((node) => !isPerfect(node, s)).length).toBeLessThanOrEqual(1);
      }),
      { numRuns: 300 },
    );
  });

  it('the perfect subtrees of a node tile its range exactly', () => {
    fc.assert(
      fc.property(size, fc.nat(53), pick, (s, l, p) => {
        const level = Math.min(l, Math.floor(Math.log2(s)));
        const index = p % Math.ceil(s / 2 ** level);
        const start = index * 2 ** level;
        let next = start;
        for (const node of perfectSubtrees({ level, index }, s)) {
          expect(node.index * 2 ** node.level).toBe(next);
          expect(isPerfect(node, s)).toBe(true);
          next += 2 ** node.level;
        }
        expect(next).toBe(Math.min(start + 2 ** level, s));
      }),
      { numRuns: 300 },
    );
  });
});
