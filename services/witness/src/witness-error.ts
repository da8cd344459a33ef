import { CodedError } from '@msi/core';

/**
 * Why the witness refused a request or could not start. A closed set: callers switch on `code`.
 *
 * - `REQUEST_MALFORMED`: the add-checkpoint body breaks the C2SP tlog-witness syntax (HTTP 400).
 * - `OLD_SIZE_TOO_LARGE`: the old size is above the checkpoint's size (HTTP 400).
 * - `UNKNOWN_ORIGIN`: no trusted log key is configured for the checkpoint's origin (HTTP 404).
 * - `SIGNATURE_INVALID`: no trusted key of the origin signed the checkpoint, or a trusted line is bad (403).
 * - `OLD_SIZE_MISMATCH`: the old size is not the size the witness last cosigned (HTTP 409).
 * - `SAME_SIZE_OTHER_ROOT`: the checkpoint has the stored size but another root: a fork (HTTP 409).
 * - `INCONSISTENT`: the consistency proof does not lead from the stored root to the new one (HTTP 422).
 * - `STATE_CORRUPT`: the state file cannot be read as witness state (the witness refuses to start).
 * - `CONFIG_INVALID`: the witness's key or log keys are unusable.
 */
export type WitnessErrorCode =
  | 'REQUEST_MALFORMED'
  | 'OLD_SIZE_TOO_LARGE'
  | 'UNKNOWN_ORIGIN'
  | 'SIGNATURE_INVALID'
  | 'OLD_SIZE_MISMATCH'
  | 'SAME_SIZE_OTHER_ROOT'
  | 'INCONSISTENT'
  | 'STATE_CORRUPT'
  | 'CONFIG_INVALID';

/** The one error class of the witness. */
export class WitnessError extends CodedError<WitnessErrorCode> {
  override readonly name = 'WitnessError';
}
