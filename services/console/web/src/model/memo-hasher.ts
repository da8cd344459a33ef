import type { MerkleHasher } from '@msi/merkle';

/** Inputs of at most this many bytes are remembered by hashLeaf (seal and round records; not events). */
const MAX_REMEMBERED_LEAF = 192;

/**
 * A MerkleHasher that remembers the hashes it computed, keyed by the exact input bytes: the
 * receipts of one seal or one round share the upper nodes of their inclusion proofs and the seal and
 * round leaves, so each is hashed once per worker instead of once per receipt. A memo of a pure
 * function keyed by its whole input gives exactly its results; each answer is a fresh copy (the
 * port's callers own what they get). At most `maxEntries` are kept (then it starts over).
 */
export function memoisedHasher(inner: MerkleHasher, maxEntries = 1 << 14): MerkleHasher {
  const known = new Map<string, Uint8Array>();
  const remember = (key: string, compute: () => Uint8Array): Uint8Array => {
    let hash = known.get(key);
    if (hash === undefined) {
      hash = compute();
      if (known.size >= maxEntries) known.clear();
      known.set(key, hash.slice());
      return hash;
    }
    return hash.slice();
  };
  return {
    name: `${inner.name}+memo`,
    hashLeaf: (data) =>
      data.length > MAX_REMEMBERED_LEAF
        ? inner.hashLeaf(data)
        : remember(`L${bytesKey(data)}`, () => inner.hashLeaf(data)),
    hashChildren: (left, right) =>
      left.length === 32 && right.length === 32
        ? remember(`N${bytesKey(left)}${bytesKey(right)}`, () => inner.hashChildren(left, right))
        : inner.hashChildren(left, right),
    emptyRoot: () => inner.emptyRoot(),
    hashLeaves: (leaves) => inner.hashLeaves(leaves),
    hashPairs: (level, count) => inner.hashPairs(level, count),
  };
}

/** The bytes as a string of as many char codes (0–255): one string per byte sequence. */
function bytesKey(bytes: Uint8Array): string {
  return String.fromCharCode.apply(null, bytes as unknown as number[]);
}
