import { bitAt, bitLength, shiftRight, trailingZeros } from './bits.js';
import { checkConsistencySizes, checkIndex, checkSize } from './checks.js';

/**
 * The address of a node in an RFC 9162 tree of some size n: node (level, index) hashes the leaves
 * [index * 2^level, min((index + 1) * 2^level, n)), i.e. it is MTH of that range.
 *
 * A node is *perfect* when (index + 1) * 2^level <= n: it covers 2^level leaves, and its hash never
 * changes as the tree grows, so storage can keep it. Other nodes lie on the right border of the tree
 * and are *ephemeral*: their hash is computed from the perfect nodes that cover their range (see
 * {@link perfectSubtrees}). In-memory trees that carry a lone last node up (like MerkleTree) hold
 * every node, perfect or ephemeral, at exactly this address.
 *
 * This file is pure index math: it says WHICH nodes a proof needs, never hashes.
 */
export interface NodeAddress {
  readonly level: number;
  readonly index: number;
}

/**
 * The nodes whose hashes form the inclusion proof of leaf `index` in a tree of `size` leaves, in proof
 * order (bottom-up), per RFC 9162 §2.1.3.1. At most one of them is ephemeral.
 * Throws `SIZE_OUT_OF_RANGE` unless size is a safe integer, `INDEX_OUT_OF_RANGE` unless 0 <= index < size.
 */
export function inclusionNodes(index: number, size: number): NodeAddress[] {
  checkSize(size, 'tree size');
  checkIndex(index, size);
  return pathNodes(0, index, size);
}

/**
 * The nodes whose hashes form the consistency proof from the tree of `size1` leaves to its extension of
 * `size2` leaves, in proof order, per RFC 9162 §2.1.4.1: empty when the sizes are equal. At most one of
 * them is ephemeral. Throws `SIZE_OUT_OF_RANGE` unless 1 <= size1 <= size2 (safe integers): a proof
 * from the empty tree proves nothing and is not defined.
 */
export function consistencyNodes(size1: number, size2: number): NodeAddress[] {
  checkConsistencySizes(size1, size2);
  if (size1 === size2) return [];
  // The largest perfect subtree ending at size1; the proof is its inclusion path in the size2 tree,
  // preceded by the subtree itself unless it is the whole size1 tree (the verifier knows that root).
  const level = trailingZeros(size1);
  const index = shiftRight(size1 - 1, level);
  const path = pathNodes(level, index, size2);
  return index === 0 ? path : [{ level, index }, ...path];
}

/**
 * The perfect nodes that together cover `node` in a tree of `size` leaves, left to right (largest
 * first): [node] itself when it is perfect. RFC 9162 MTH of the node's range is the right-to-left
 * fold of their hashes: h = hash(n[k-2], h), starting from h = n[k-1].
 * Precondition: the node lies inside the tree (index * 2^level < size).
 */
export function perfectSubtrees(node: NodeAddress, size: number): NodeAddress[] {
  const start = node.index * 2 ** node.level;
  const length = Math.min(2 ** node.level, size - start);
  const nodes: NodeAddress[] = [];
  let offset = start;
  for (let level = bitLength(length) - 1; level >= 0; level--) {
    if (bitAt(length, level) === 1) {
      nodes.push({ level, index: offset / 2 ** level });
      offset += 2 ** level;
    }
  }
  return nodes;
}

/**
 * The perfect nodes covering the leaves [0, size), left to right: the addresses of the hashes a
 * compact range of that size keeps (one per set bit of size). Empty for size 0.
 */
export function compactRangeNodes(size: number): NodeAddress[] {
  checkSize(size, 'range size');
  if (size === 0) return [];
  return perfectSubtrees({ level: bitLength(size), index: 0 }, size);
}

/**
 * The perfect nodes to fetch from storage to assemble a proof made of `nodes` in a tree of `size`:
 * the concatenation of {@link perfectSubtrees} of each node, in order.
 */
export function nodesToFetch(nodes: readonly NodeAddress[], size: number): NodeAddress[] {
  return nodes.flatMap((node) => perfectSubtrees(node, size));
}

/** True if `node` covers 2^level leaves of a tree of `size` leaves (its hash is final). */
export function isPerfect(node: NodeAddress, size: number): boolean {
  return (node.index + 1) * 2 ** node.level <= size;
}

/**
 * The siblings met walking from node (level, index) up to the root of the tree of `size` leaves, in a
 * tree that carries a lone last node up unchanged (so a level with no sibling adds nothing).
 */
function pathNodes(level: number, index: number, size: number): NodeAddress[] {
  const nodes: NodeAddress[] = [];
  let last = shiftRight(size - 1, level); // index of the last node on this level
  for (let l = level, i = index; last > 0; l++) {
    const sibling = i % 2 === 0 ? i + 1 : i - 1;
    if (sibling <= last) nodes.push({ level: l, index: sibling });
    i = Math.floor(i / 2);
    last = Math.floor(last / 2);
  }
  return nodes;
}
