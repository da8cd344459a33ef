import { bitAt, bitLength, isPowerOfTwo, popCount, shiftRight, trailingZeros, xor } from './bits.js';
import {
  bytesEqual,
  checkConsistencySizes,
  checkHash,
  checkHashes,
  checkIndex,
  checkSize,
} from './checks.js';
import type { MerkleHasher } from './hasher.js';
import { ProofError } from './proof-error.js';

// Checking proofs (RFC 9162 §2.1.3.2 and §2.1.4.2). Every argument here is hostile input: indices,
// sizes, hashes and proofs come from receipts and checkpoints written by someone else. Shapes (sizes,
// indices, proof lengths, hash lengths) are checked before any hashing.

/**
 * Recomputes the root of a tree of `size` leaves from the leaf hash at `index` and its inclusion proof.
 * Throws `SIZE_OUT_OF_RANGE`, `INDEX_OUT_OF_RANGE` (unless 0 <= index < size), `HASH_SIZE` (leaf or a
 * proof hash is not 32 bytes), `PROOF_SIZE` (not the number of hashes index and size require).
 */
export function rootFromInclusionProof(
  hasher: MerkleHasher,
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
): Uint8Array {
  checkSize(size, 'tree size');
  checkIndex(index, size);
  checkHash(leafHash, 'leaf hash');
  const { inner, border } = decomposeInclusionProof(index, size);
  checkProofLength(proof, inner + border, 'inclusion');
  checkHashes(proof, 'proof');
  const hash = chainInner(hasher, new Uint8Array(leafHash), proof, 0, inner, index);
  return chainBorderRight(hasher, hash, proof, inner, proof.length);
}

/**
 * Checks that `leafHash` is leaf `index` of the tree of `size` leaves with root `root`.
 * Throws a ProofError: the codes of {@link rootFromInclusionProof}, `HASH_SIZE` if root is not 32 bytes,
 * and `ROOT_MISMATCH` if all shapes are right but the recomputed root differs.
 */
export function verifyInclusion(
  hasher: MerkleHasher,
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): void {
  checkSize(size, 'tree size');
  checkIndex(index, size);
  checkHash(root, 'root');
  const computed = rootFromInclusionProof(hasher, index, size, leafHash, proof);
  if (!bytesEqual(computed, root)) {
    throw new ProofError('ROOT_MISMATCH', `inclusion proof of leaf ${index} does not lead to the root`);
  }
}

/**
 * Checks the consistency proof against `root1` (the root of the first `size1` leaves) and returns the
 * root of the `size2`-leaf tree it proves. When size1 = size2 the proof must be empty and root1 is
 * returned as is. Throws `SIZE_OUT_OF_RANGE` unless 1 <= size1 <= size2, `PROOF_SIZE`, `HASH_SIZE`
 * (root1 or a proof hash not 32 bytes, when size1 < size2), `ROOT_MISMATCH` (the proof does not lead to
 * root1).
 */
export function rootFromConsistencyProof(
  hasher: MerkleHasher,
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
): Uint8Array {
  checkConsistencySizes(size1, size2);
  if (size1 === size2) {
    checkProofLength(proof, 0, 'consistency');
    return new Uint8Array(root1);
  }
  checkHash(root1, 'root1');
  // The proof is the inclusion proof of the largest perfect subtree ending at size1 (level `shift`),
  // preceded by that subtree's hash unless it is the whole size1 tree, whose root is root1.
  const { inner, border } = decomposeInclusionProof(size1 - 1, size2);
  const shift = trailingZeros(size1);
  const seeded = isPowerOfTwo(size1);
  const start = seeded ? 0 : 1;
  checkProofLength(proof, start + inner - shift + border, 'consistency');
  checkHashes(proof, 'proof');
  const seed = seeded ? root1 : (proof[0] as Uint8Array);
  const mask = shiftRight(size1 - 1, shift);
  const innerEnd = start + inner - shift;
  const hash1 = chainInnerRight(hasher, new Uint8Array(seed), proof, start, innerEnd, mask);
  if (!bytesEqual(chainBorderRight(hasher, hash1, proof, innerEnd, proof.length), root1)) {
    throw new ProofError('ROOT_MISMATCH', `consistency proof ${size1} -> ${size2} does not lead to root1`);
  }
  const hash2 = chainInner(hasher, new Uint8Array(seed), proof, start, innerEnd, mask);
  return chainBorderRight(hasher, hash2, proof, innerEnd, proof.length);
}

/**
 * Checks that the tree of `size2` leaves with root `root2` extends the tree of `size1` leaves with root
 * `root1`. When size1 = size2 the proof must be empty and the roots equal (compared byte for byte,
 * whatever their length, as the RFC 6962 vectors require). Throws a ProofError with the codes of
 * {@link rootFromConsistencyProof}, `HASH_SIZE` if root2 is not 32 bytes, `ROOT_MISMATCH` if a root differs.
 */
export function verifyConsistency(
  hasher: MerkleHasher,
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): void {
  checkConsistencySizes(size1, size2);
  if (size1 !== size2) checkHash(root2, 'root2');
  const computed = rootFromConsistencyProof(hasher, size1, size2, proof, root1);
  if (!bytesEqual(computed, root2)) {
    throw new ProofError('ROOT_MISMATCH', `consistency proof ${size1} -> ${size2} does not lead to root2`);
  }
}

/**
 * Splits the inclusion proof of leaf `index` in a tree of `size` leaves into `inner` hashes (below the
 * level where the leaf's path meets the right border of the tree) and `border` hashes (on the border,
 * all left siblings). Precondition: 0 <= index < size, safe integers.
 */
export function decomposeInclusionProof(index: number, size: number): { inner: number; border: number } {
  const inner = bitLength(xor(index, size - 1));
  return { inner, border: popCount(shiftRight(index, inner)) };
}

function checkProofLength(proof: readonly Uint8Array[], want: number, kind: string): void {
  if (proof.length !== want) {
    throw new ProofError('PROOF_SIZE', `${kind} proof has ${proof.length} hashes, want ${want}`);
  }
}

/** Hashes proof[begin, end) into seed; bit (i - begin) of `index` says if proof[i] is a left sibling. */
function chainInner(
  hasher: MerkleHasher,
  seed: Uint8Array,
  proof: readonly Uint8Array[],
  begin: number,
  end: number,
  index: number,
): Uint8Array {
  let hash = seed;
  for (let i = begin; i < end; i++) {
    const sibling = proof[i] as Uint8Array;
    hash =
      bitAt(index, i - begin) === 0 ? hasher.hashChildren(hash, sibling) : hasher.hashChildren(sibling, hash);
  }
  return hash;
}

/** Like chainInner, but only the left siblings: the root of the tree ending at the seed's right edge. */
function chainInnerRight(
  hasher: MerkleHasher,
  seed: Uint8Array,
  proof: readonly Uint8Array[],
  begin: number,
  end: number,
  index: number,
): Uint8Array {
  let hash = seed;
  for (let i = begin; i < end; i++) {
    if (bitAt(index, i - begin) === 1) hash = hasher.hashChildren(proof[i] as Uint8Array, hash);
  }
  return hash;
}

/** Hashes proof[begin, end), all left siblings on the right border, into seed. */
function chainBorderRight(
  hasher: MerkleHasher,
  seed: Uint8Array,
  proof: readonly Uint8Array[],
  begin: number,
  end: number,
): Uint8Array {
  let hash = seed;
  for (let i = begin; i < end; i++) hash = hasher.hashChildren(proof[i] as Uint8Array, hash);
  return hash;
}
