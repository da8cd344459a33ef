import * as crypto from 'node:crypto';
import { HASH_SIZE, type MerkleHasher } from '@msi/merkle';

/** SHA-256 of one input, returning a Uint8Array the caller owns. */
export type Sha256 = (data: Uint8Array) => Uint8Array;

/** Leaves up to this size are copied behind the 0x00 prefix and hashed in one call; longer ones stream. */
const COPY_LIMIT = 4096;

/**
 * A MerkleHasher on node:crypto (OpenSSL, using SHA-NI where the CPU has it), named "node". Uses the
 * one-shot crypto.hash where Node has it (>= 20.12) and createHash otherwise. Every hash is one call
 * into OpenSSL, so small inputs are bound by per-call cost; the batch methods are plain loops.
 */
export function nodeHasher(): MerkleHasher {
  return nodeHasherUsing(typeof crypto.hash === 'function' ? oneShotSha256 : createHashSha256);
}

/** nodeHasher with a given SHA-256 function; exported so tests cover both, not part of the package API. */
export function nodeHasherUsing(sha256: Sha256): MerkleHasher {
  const node = new Uint8Array(1 + 2 * HASH_SIZE);
  node[0] = 0x01;
  const leaf = new Uint8Array(1 + COPY_LIMIT); // leaf[0] stays 0x00; data is written from index 1
  const hashLeaf = (data: Uint8Array): Uint8Array => {
    if (data.length > COPY_LIMIT) {
      return ownedView(crypto.createHash('sha256').update(leaf.subarray(0, 1)).update(data).digest());
    }
    leaf.set(data, 1);
    return sha256(leaf.subarray(0, 1 + data.length));
  };
  return {
    name: 'node',
    hashLeaf,
    hashChildren(left, right) {
      if (left.length !== HASH_SIZE || right.length !== HASH_SIZE) {
        throw new RangeError(
          `hashChildren: children of ${left.length} and ${right.length} bytes, want 32 each`,
        );
      }
      node.set(left, 1);
      node.set(right, 1 + HASH_SIZE);
      return sha256(node);
    },
    emptyRoot: () => sha256(new Uint8Array(0)),
    hashLeaves(leaves) {
      const out = new Uint8Array(leaves.length * HASH_SIZE);
      leaves.forEach((data, i) => {
        out.set(hashLeaf(data), i * HASH_SIZE);
      });
      return out;
    },
    hashPairs(level, count) {
      if (!Number.isSafeInteger(count) || count < 0 || level.length < count * HASH_SIZE) {
        throw new RangeError(`hashPairs: level of ${level.length} bytes does not hold ${count} hashes`);
      }
      const parents = Math.floor(count / 2);
      const out = new Uint8Array(parents * HASH_SIZE);
      for (let i = 0; i < parents; i++) {
        node.set(level.subarray(2 * i * HASH_SIZE, (2 * i + 2) * HASH_SIZE), 1);
        out.set(sha256(node), i * HASH_SIZE);
      }
      return out;
    },
  };
}

/** SHA-256 by crypto.hash: one call into OpenSSL, no Hash object (Node >= 20.12). */
export const oneShotSha256: Sha256 = (data) => ownedView(crypto.hash('sha256', data, 'buffer'));

/** SHA-256 by createHash, for Node versions without crypto.hash. */
export const createHashSha256: Sha256 = (data) =>
  ownedView(crypto.createHash('sha256').update(data).digest());

/**
 * A plain Uint8Array over a digest Buffer. Digest Buffers get an ArrayBuffer of their own (not the
 * Buffer pool), so the view is exclusively the caller's, as MerkleHasher requires.
 */
function ownedView(digest: Buffer): Uint8Array {
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
}
