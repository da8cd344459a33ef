import { CodedError } from '../error/coded-error.js';

/** Why a UUID is not acceptable. */
export type UuidErrorCode =
  | 'MALFORMED' // text not of the form 8-4-4-4-12 hex digits, or bytes not 16 long
  | 'NOT_V7' // a UUID, but not version 7 with the RFC 9562 variant
  | 'OUT_OF_RANGE'; // mint: a time outside [0, 2^48) ms, or randomness not 16 bytes

/** The one error of the UUID functions. */
export class UuidError extends CodedError<UuidErrorCode> {
  override readonly name = 'UuidError';
}
