import { CodedError } from '../error/coded-error.js';

/** Why bytes are not a well-formed MSI binary encoding v1 (docs/PROOFS.md §2). */
export type EncodingErrorCode =
  | 'TRUNCATED' // a field needs more bytes than remain
  | 'TRAILING_BYTES' // bytes are left after the last field
  | 'OUT_OF_RANGE' // an integer does not fit its field, or a u64 exceeds 2^53 − 1
  | 'BAD_UTF8' // ill-formed UTF-8, or a leading byte order mark
  | 'BAD_IMPRINT' // an imprint whose length or algorithm is not acceptable (§3)
  | 'BAD_MAGIC' // the record does not start with the expected magic
  | 'UNKNOWN_VERSION'; // a record version this code does not know

/**
 * The one error of the encoding primitives. `field` names the field being read or written
 * (snake_case, e.g. `attributes[2].key`), or is empty for a fault of the whole record.
 */
export class EncodingError extends CodedError<EncodingErrorCode> {
  override readonly name = 'EncodingError';
  constructor(
    code: EncodingErrorCode,
    readonly field: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(code, message, options);
  }
}
