/**
 * Why a proof, a tree operation or a compact-range state was rejected. A closed set: callers switch on
 * `code`, never on the message.
 *
 * - `INDEX_OUT_OF_RANGE`: a leaf index is not a safe integer in [0, size).
 * - `SIZE_OUT_OF_RANGE`: a tree size is not a safe non-negative integer, or two sizes are not ordered
 *   as required (a consistency proof needs 1 <= size1 <= size2).
 * - `PROOF_SIZE`: a proof has a different number of hashes than its index and sizes require.
 * - `HASH_SIZE`: a hash (leaf hash, proof hash, root, node) is not {@link HASH_SIZE} bytes long.
 * - `STATE_SIZE`: a compact-range state or a set of fetched nodes has the wrong number of hashes.
 * - `ROOT_MISMATCH`: every shape check passed, but the recomputed root differs from the expected one.
 */
export type ProofErrorCode =
  | 'INDEX_OUT_OF_RANGE'
  | 'SIZE_OUT_OF_RANGE'
  | 'PROOF_SIZE'
  | 'HASH_SIZE'
  | 'STATE_SIZE'
  | 'ROOT_MISMATCH';

/** The one error class of @msi/merkle. */
export class ProofError extends Error {
  override readonly name = 'ProofError';

  constructor(
    readonly code: ProofErrorCode,
    message: string,
  ) {
    super(message);
  }
}
