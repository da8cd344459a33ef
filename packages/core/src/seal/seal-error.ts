import { CodedError } from '../error/coded-error.js';

/**
 * Why a seal record (docs/PROOFS.md §5) or the input to sealShard is not valid. A receipt verifier
 * reports all of them as SEAL_MALFORMED.
 */
export type SealErrorCode =
  | 'SEAL_MALFORMED' // the bytes do not parse: truncated, trailing bytes, magic, version
  | 'FIELD_RANGE' // shard not a u32; a counter not an integer in [0, 2^53 − 1]
  | 'STREAM_RANGE' // stream_start >= stream_end
  | 'EMPTY_SEAL' // leaf_count is 0: an interval without events is not sealed
  | 'LEAF_HASHES_SIZE' // sealShard: packed leaf hashes not a whole number of 32-byte hashes
  | 'ROOT_SIZE' // root not 32 bytes
  | 'TIME_INVALID'; // max_received_at not in [1, 2^53 − 1] µs

/** The one error of seal records. `field` is the snake_case field name, or empty for the whole record. */
export class SealError extends CodedError<SealErrorCode> {
  override readonly name = 'SealError';
  constructor(
    code: SealErrorCode,
    readonly field: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(code, message, options);
  }
}
