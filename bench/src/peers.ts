// The implementations the core is compared with, each configured as its README suggests.
import * as crypto from 'node:crypto';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { MerkleTree as MerkleTreeJs } from 'merkletreejs';

/** SHA-256 with the fastest node:crypto call (one-shot crypto.hash), returning a Buffer. */
export const sha256Buffer = (data: Uint8Array): Buffer => crypto.hash('sha256', data, 'buffer');

/**
 * merkletreejs: `new MerkleTree(leaves, sha256, { hashLeaves: true, sortPairs: false })` — it hashes
 * the leaves itself (one hash call per leaf) and then every level (Buffer.concat + one hash per node).
 * Its trees are not RFC 9162 (no 0x00 / 0x01 domain separation), but the work per node is the same.
 */
export function merkletreejsBuild(leaves: readonly Buffer[]): MerkleTreeJs {
  return new MerkleTreeJs([...leaves], sha256Buffer, { hashLeaves: true, sortPairs: false });
}

/** The hex values @openzeppelin/merkle-tree takes, converted before timing: [[ '0x…' ]] per leaf. */
export function openZeppelinValues(leaves: readonly Uint8Array[]): [string][] {
  return leaves.map((leaf) => [`0x${Buffer.from(leaf).toString('hex')}`]);
}

/**
 * @openzeppelin/merkle-tree: `StandardMerkleTree.of(values, ['bytes32'])` with its defaults (ABI-encoded
 * leaves, double keccak256 leaf hashes, sorted leaves and pairs), as used for Solidity airdrops.
 */
export function openZeppelinBuild(values: [string][]): StandardMerkleTree<[string]> {
  return StandardMerkleTree.of(values, ['bytes32']);
}

/**
 * The textbook RFC 9162 §2.1.1 definition written directly: MTH of D[lo:hi) recursively, leaves
 * hashed as H(0x00 || d) and nodes as H(0x01 || left || right), each with crypto.hash on a fresh
 * concatenation. Returns the root only (no levels kept).
 */
export function naiveRfc9162Root(leaves: readonly Uint8Array[], lo = 0, hi = leaves.length): Uint8Array {
  const n = hi - lo;
  if (n === 0) return crypto.hash('sha256', new Uint8Array(0), 'buffer');
  if (n === 1) return crypto.hash('sha256', Buffer.concat([LEAF, leaves[lo] ?? new Uint8Array(0)]), 'buffer');
  const k = 2 ** Math.floor(Math.log2(n - 1)); // largest power of two < n
  const left = naiveRfc9162Root(leaves, lo, lo + k);
  const right = naiveRfc9162Root(leaves, lo + k, hi);
  return crypto.hash('sha256', Buffer.concat([NODE, left, right]), 'buffer');
}

const LEAF = Uint8Array.of(0x00);
const NODE = Uint8Array.of(0x01);
