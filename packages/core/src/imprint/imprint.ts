import { bytesEqual } from '../encoding/bytes.js';
import { algorithmById, algorithmByName, type HashAlgorithm } from './hash-algorithms.js';
import { ImprintError } from './imprint-error.js';

/**
 * The hash of a piece of data (docs/PROOFS.md §3), as a small immutable value: an accepted algorithm
 * and its digest. The wire form is `id || digest` ({@link encodeImprint}); the text form
 * `<name>:<hex>` (see imprint-text.ts). Values built by hand should pass {@link checkImprint}; every
 * parser here returns checked values with a digest of their own (never a view of the input).
 */
export interface Imprint {
  readonly algorithm: HashAlgorithm;
  readonly digest: Uint8Array;
}

/**
 * Checks that `imprint` names an accepted algorithm and that its digest has that algorithm's size.
 * Throws ImprintError UNKNOWN_ALGORITHM, DEPRECATED_ALGORITHM or WRONG_LENGTH.
 */
export function checkImprint(imprint: Imprint): void {
  const { digestSize, name } = algorithmByName(imprint.algorithm);
  if (imprint.digest.length !== digestSize) {
    throw new ImprintError(
      'WRONG_LENGTH',
      `${name} digest has ${imprint.digest.length} bytes, want ${digestSize}`,
    );
  }
}

/** An imprint of `algorithm` over an existing `digest` (copied). Throws ImprintError WRONG_LENGTH. */
export function makeImprint(algorithm: HashAlgorithm, digest: Uint8Array): Imprint {
  const imprint: Imprint = { algorithm, digest: new Uint8Array(digest) };
  checkImprint(imprint);
  return imprint;
}

/** The wire form `algorithm id || digest`. Throws as {@link checkImprint}. */
export function encodeImprint(imprint: Imprint): Uint8Array {
  checkImprint(imprint);
  const { id } = algorithmByName(imprint.algorithm);
  const bytes = new Uint8Array(1 + imprint.digest.length);
  bytes[0] = id;
  bytes.set(imprint.digest, 1);
  return bytes;
}

/**
 * Parses the wire form `algorithm id || digest`. `bytes` is hostile input: the id is checked against
 * the registry and the length against the digest size before anything is copied. Throws ImprintError
 * MALFORMED (empty), UNKNOWN_ALGORITHM, DEPRECATED_ALGORITHM or WRONG_LENGTH.
 */
export function parseImprint(bytes: Uint8Array): Imprint {
  const id = bytes[0];
  if (id === undefined) throw new ImprintError('MALFORMED', 'imprint is empty');
  const { name, digestSize } = algorithmById(id);
  if (bytes.length !== 1 + digestSize) {
    throw new ImprintError(
      'WRONG_LENGTH',
      `${name} imprint has ${bytes.length} bytes, want ${1 + digestSize}`,
    );
  }
  // A copy whatever `bytes` is: Buffer's slice() is a view, where Uint8Array's copies.
  return { algorithm: name, digest: new Uint8Array(bytes.subarray(1)) };
}

/** True when both imprints have the same algorithm and digest. */
export function imprintEquals(a: Imprint, b: Imprint): boolean {
  return a.algorithm === b.algorithm && bytesEqual(a.digest, b.digest);
}
