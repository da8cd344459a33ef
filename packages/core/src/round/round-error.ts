import { CodedError } from '../error/coded-error.js';

/**
 * Why a round record (docs/PROOFS.md §6) or the input to closeRound is not valid. A receipt verifier
 * reports all of them as ROUND_MALFORMED.
 */
export type RoundErrorCode =
  | 'ROUND_MALFORMED' // the bytes do not parse: truncated, trailing bytes, magic, version
  | 'FIELD_RANGE' // a counter not an integer in [0, 2^53 − 1]; interval_ms or seal_count not a u32; interval_ms 0
  | 'SEALS_RANGE' // seals_end < seals_start, or the range and seal_count disagree
  | 'EMPTY_ROOT' // an empty round whose root is not H("")
  | 'ROOT_SIZE' // root not 32 bytes
  | 'TIME_INVALID' // closed_at not in [1, 2^53 − 1] µs
  | 'PREVIOUS_ROUND' // closeRound: a previous closed_at given for round 0, or missing for round k > 0
  | 'CLOSED_AT_NOT_INCREASING' // closeRound: closed_at <= the previous round's closed_at
  | 'CLOSED_BEFORE_SEAL' // closeRound: closed_at < a covered seal's max_received_at
  | 'DUPLICATE_SEAL' // closeRound: two seals with the same (shard, seal_number)
  | 'SEAL_MISMATCH'; // closeRound: a seal's bytes are not the encoding of its record

/** The one error of round records. `field` is the snake_case field name or input path, or empty. */
export class RoundError extends CodedError<RoundErrorCode> {
  override readonly name = 'RoundError';
  constructor(
    code: RoundErrorCode,
    readonly field: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(code, message, options);
  }
}
