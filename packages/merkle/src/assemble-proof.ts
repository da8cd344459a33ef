import { checkHashes } from './checks.js';
import type { MerkleHasher } from './hasher.js';
import { type NodeAddress, nodesToFetch, perfectSubtrees } from './nodes.js';
import { ProofError } from './proof-error.js';

/**
 * Fetches the hashes of perfect nodes from storage, in the order asked. It MUST return exactly one
 * 32-byte hash per address (a missing node is the fetcher's error to throw).
 */
export type NodeFetcher = (
  nodes: readonly NodeAddress[],
) => readonly Uint8Array[] | Promise<readonly Uint8Array[]>;

/**
 * Builds a proof from the hashes of the perfect nodes {@link nodesToFetch} listed for `nodes` (a result of
 * inclusionNodes or consistencyNodes for a tree of `size` leaves), in that order: each perfect node
 * gives its hash as is, the (at most one) ephemeral node the fold of its perfect subtrees.
 * Throws `STATE_SIZE` if `fetched` has the wrong number of hashes, `HASH_SIZE` if one is not 32 bytes;
 * both are checked before any hashing.
 */
export function assembleProof(
  hasher: MerkleHasher,
  nodes: readonly NodeAddress[],
  size: number,
  fetched: readonly Uint8Array[],
): Uint8Array[] {
  const covers = nodes.map((node) => perfectSubtrees(node, size).length);
  const want = covers.reduce((sum, n) => sum + n, 0);
  if (fetched.length !== want) {
    throw new ProofError('STATE_SIZE', `got ${fetched.length} node hashes, want ${want}`);
  }
  checkHashes(fetched, 'node hash');
  let next = 0;
  return covers.map((count) => {
    const hash = foldRight(hasher, fetched, next, next + count);
    next += count;
    return hash;
  });
}

/**
 * Fetches the perfect nodes a proof of `nodes` in a tree of `size` leaves needs, with ONE call of
 * `fetch`, and assembles the proof (see {@link assembleProof}).
 */
export async function fetchProof(
  hasher: MerkleHasher,
  nodes: readonly NodeAddress[],
  size: number,
  fetch: NodeFetcher,
): Promise<Uint8Array[]> {
  const fetched = await fetch(nodesToFetch(nodes, size));
  return assembleProof(hasher, nodes, size, fetched);
}

/** hashes[begin, end) folded right to left: the root of adjacent perfect subtrees, largest first. */
function foldRight(
  hasher: MerkleHasher,
  hashes: readonly Uint8Array[],
  begin: number,
  end: number,
): Uint8Array {
  let hash: Uint8Array = new Uint8Array(at(hashes, end - 1));
  for (let i = end - 2; i >= begin; i--) hash = hasher.hashChildren(at(hashes, i), hash);
  return hash;
}

function at(hashes: readonly Uint8Array[], i: number): Uint8Array {
  const hash = hashes[i];
  if (hash === undefined) throw new RangeError(`no hash at ${i}`);
  return hash;
}
