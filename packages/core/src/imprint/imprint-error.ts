import { CodedError } from '../error/coded-error.js';

/** Why an imprint (docs/PROOFS.md §3) is not acceptable. */
export type ImprintErrorCode =
  | 'UNKNOWN_ALGORITHM' // an id or name that is not in the KSI registry
  | 'DEPRECATED_ALGORITHM' // SHA-1, RIPEMD-160: registered but no longer accepted
  | 'WRONG_LENGTH' // a digest whose length is not the algorithm's digest size
  | 'MALFORMED'; // not an imprint at all (empty bytes; text not `<name>:<hex>`)

/** The one error of imprint parsing and checking. */
export class ImprintError extends CodedError<ImprintErrorCode> {
  override readonly name = 'ImprintError';
}
