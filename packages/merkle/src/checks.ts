import { HASH_SIZE } from './hasher.js';
import { ProofError } from './proof-error.js';

/** Throws `SIZE_OUT_OF_RANGE` unless `size` is a safe non-negative integer. `what` names it in the message. */
export function checkSize(size: number, what: string): void {
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new ProofError('SIZE_OUT_OF_RANGE', `${what} ${size} is not a safe non-negative integer`);
  }
}

/** Throws `INDEX_OUT_OF_RANGE` unless `index` is an integer in [0, size). Precondition: size is checked. */
export function checkIndex(index: number, size: number): void {
  if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
    throw new ProofError('INDEX_OUT_OF_RANGE', `leaf index ${index} is outside [0, ${size})`);
  }
}

/** Throws `SIZE_OUT_OF_RANGE` unless 1 <= size1 <= size2 and both are safe integers. */
export function checkConsistencySizes(size1: number, size2: number): void {
  checkSize(size1, 'size1');
  checkSize(size2, 'size2');
  if (size1 === 0 || size1 > size2) {
    throw new ProofError(
      'SIZE_OUT_OF_RANGE',
      `consistency needs 1 <= size1 <= size2, got ${size1}, ${size2}`,
    );
  }
}

/** Throws `HASH_SIZE` unless `hash` is exactly HASH_SIZE bytes. `what` names it in the message. */
export function checkHash(hash: Uint8Array, what: string): void {
  if (hash.length !== HASH_SIZE) {
    throw new ProofError('HASH_SIZE', `${what} has ${hash.length} bytes, want ${HASH_SIZE}`);
  }
}

/** Throws `HASH_SIZE` unless every hash of `hashes` is HASH_SIZE bytes. */
export function checkHashes(hashes: readonly Uint8Array[], what: string): void {
  hashes.forEach((hash, i) => {
    checkHash(hash, `${what}[${i}]`);
  });
}

/** Byte-wise equality of two arrays (not constant-time: hashes compared here are public). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return false;
  }
  return true;
}
