import { CodedError } from '../error/coded-error.js';

/**
 * Why an event is not a valid canonical event v1 (docs/PROOFS.md §4). A receipt verifier reports all
 * of them as EVENT_MALFORMED; ingest reports them as INVALID_ARGUMENT naming `field`.
 */
export type EventErrorCode =
  | 'EVENT_MALFORMED' // the bytes do not parse: truncated, trailing bytes, magic, version, UTF-8, order
  | 'TENANT_INVALID' // tenant / to_tenant: not 1–64 bytes of [a-z0-9._-] starting with a letter or digit
  | 'UUID_INVALID' // event_id / parents[i]: not a UUIDv7
  | 'KIND_INVALID' // kind: not one of the six kinds
  | 'KIND_MISMATCH' // inputs / outputs / to_tenant: present for a kind that forbids it, or missing
  | 'IMPRINT_INVALID' // data / inputs[i] / outputs[i]: not an accepted imprint
  | 'TEXT_INVALID' // a string with a lone surrogate or a leading BOM
  | 'LENGTH_INVALID' // a string or byte field outside its length bounds
  | 'KEY_INVALID' // attributes[i].key: not 1–64 bytes of [A-Za-z0-9._:-]
  | 'TOO_MANY' // a list with more than 64 items
  | 'DUPLICATE' // parents or attribute keys repeated
  | 'TIME_INVALID'; // occurred_at / received_at: not an integer in [1, 2^53 − 1] µs

/** The one error of event validation, encoding and decoding. */
export class EventError extends CodedError<EventErrorCode> {
  override readonly name = 'EventError';
  /**
   * @param field the offending field as a snake_case path (`attributes[2].key`, `inputs[0]`,
   *   `source.host`), or empty for a fault of the whole record (trailing bytes).
   */
  constructor(
    code: EventErrorCode,
    readonly field: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(code, message, options);
  }
}
