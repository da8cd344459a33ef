import { CodedError } from '../error/coded-error.js';

/**
 * Why a checkpoint (C2SP tlog-checkpoint) or one of its signatures was rejected (docs/PROOFS.md §7).
 * A closed set: callers switch on `code`, never on the message.
 *
 * - `CHECKPOINT_MALFORMED`: the note or its body breaks the strict syntax of §7.
 * - `UNTRUSTED_KEY`: no trusted log key (of the checkpoint's origin) signed the checkpoint.
 * - `SIGNATURE_INVALID`: a signature line of a trusted log key does not verify.
 * - `COSIGNATURE_INVALID`: a cosignature line of a trusted witness key does not verify.
 * - `SIGNER_MISMATCH`: a signer cannot sign this (a log key that is not Ed25519 or not named after
 *   the origin; a witness key that is not a 0x04 cosignature key).
 * - `TIME_OUT_OF_RANGE`: a cosignature time is not an integer in [0, 2^53 − 1].
 */
export type CheckpointErrorCode =
  | 'CHECKPOINT_MALFORMED'
  | 'UNTRUSTED_KEY'
  | 'SIGNATURE_INVALID'
  | 'COSIGNATURE_INVALID'
  | 'SIGNER_MISMATCH'
  | 'TIME_OUT_OF_RANGE';

/** The one error class of the checkpoint area. */
export class CheckpointError extends CodedError<CheckpointErrorCode> {
  override readonly name = 'CheckpointError';
}
