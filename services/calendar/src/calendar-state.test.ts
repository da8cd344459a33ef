import type { TreeNode } from '@msi/core';
import { assembleProof, consistencyNodes, inclusionNodes, MerkleTree, nodesToFetch } from '@msi/merkle';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emptyState, extendState } from './calendar-state.js';
import { hasher } from './fixtures.test-helper.js';

/** Appends `n` leaves, keeping every completed node in a map: the nodes table, in memory. */
function grow(n: number) {
  const leaves = Array.from({ length: n }, (_, i) => Uint8Array.of(i & 0xff, i >> 8));
  let state = emptyState(hasher);
  const nodes = new Map<string, Uint8Array>();
  const keep = (node: TreeNode) => nodes.set(`${node.level}/${node.index}`, node.hash);
  for (const [i, leaf] of leaves.entries()) {
    const extension = extendState(state, hasher.hashLeaf(leaf), { closedAt: i + 1, sealsEnd: i + 2 });
    extension.nodes.forEach(keep);
    state = extension.state;
  }
  const fetch = (addresses: ReturnType<typeof nodesToFetch>) =>
    addresses.map(({ level, index }) => {
      const hash = nodes.get(`${level}/${index}`);
      if (hash === undefined) throw new Error(`node (${level}, ${index}) not stored`);
      return hash;
    });
  return { state, leaves, fetch };
}

describe('extendState', () => {
  it('tracks root, closed_at and seals_end, leaving the old state unchanged', () => {
    const empty = emptyState(hasher);
    const next = extendState(empty, hasher.hashLeaf(Uint8Array.of(1)), { closedAt: 5, sealsEnd: 9 }).state;
    expect(empty.size).toBe(0);
    expect(empty.root).toEqual(hasher.emptyRoot());
    expect(next).toMatchObject({ size: 1, lastClosedAt: 5, sealsEnd: 9 });
    expect(next.root).toEqual(hasher.hashLeaf(Uint8Array.of(1)));
  });

  it('stores enough nodes to serve every inclusion and consistency proof (checked against MerkleTree)', () => {
    const { state, leaves, fetch } = grow(45);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 45 }), fc.integer({ min: 1, max: 45 }), fc.nat(), (a, b, i) => {
        const [size1, size2] = a <= b ? [a, b] : [b, a];
        const tree = MerkleTree.fromLeaves(hasher, leaves.slice(0, size2));
        const index = i % size2;
        const inclusion = inclusionNodes(index, size2);
        expect(assembleProof(hasher, inclusion, size2, fetch(nodesToFetch(inclusion, size2)))).toEqual(
          tree.inclusionProof(index),
        );
        const consistency = consistencyNodes(size1, size2);
        expect(assembleProof(hasher, consistency, size2, fetch(nodesToFetch(consistency, size2)))).toEqual(
          tree.consistencyProof(size1),
        );
      }),
      { numRuns: 150 },
    );
    expect(state.root).toEqual(MerkleTree.fromLeaves(hasher, leaves).root());
  });
});
