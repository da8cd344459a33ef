import { CodedError } from '@msi/core';

/**
 * Why the calendar refused to do something. A closed set: callers switch on `code`, never on the message.
 *
 * - `LEASE_HELD`: another calendar process holds the writer lease; this one does not append.
 * - `STATE_CHANGED`: the writer row's size or root is not what this process expected (another writer
 *   appended meanwhile); the append is rolled back and the state reloaded.
 * - `STATE_CORRUPT`: the stored state contradicts itself (compact range vs root, missing round).
 * - `NODE_MISSING`: a proof needs a tree node the nodes table does not hold.
 * - `SIZE_OUT_OF_RANGE`: a proof was asked for a size or index the calendar does not have.
 * - `META_MISMATCH`: the database belongs to a calendar with another round interval, origin or key.
 * - `KEY_INVALID`: no usable log key (none configured, or not an Ed25519 key).
 * - `HISTORY_UNVERIFIABLE`: a RoundAnchored on `<prefix>.rounds` does not verify with this calendar's key,
 *   or does not extend the stored tree: the calendar refuses to append at all.
 * - `FORKED`: the database and the published checkpoints disagree at the same size.
 */
export type CalendarErrorCode =
  | 'LEASE_HELD'
  | 'STATE_CHANGED'
  | 'STATE_CORRUPT'
  | 'NODE_MISSING'
  | 'SIZE_OUT_OF_RANGE'
  | 'META_MISMATCH'
  | 'KEY_INVALID'
  | 'HISTORY_UNVERIFIABLE'
  | 'FORKED';

/** The codes after which a calendar process must stop appending for good (an operator must look). */
const FATAL: ReadonlySet<CalendarErrorCode> = new Set([
  'STATE_CORRUPT',
  'META_MISMATCH',
  'KEY_INVALID',
  'HISTORY_UNVERIFIABLE',
  'FORKED',
]);

/** The one error class of the calendar service. */
export class CalendarError extends CodedError<CalendarErrorCode> {
  override readonly name = 'CalendarError';

  /** True when the calendar must stop appending (see {@link CalendarErrorCode}). */
  get fatal(): boolean {
    return FATAL.has(this.code);
  }
}

/** True for a CalendarError whose code is fatal. */
export function isFatal(error: unknown): boolean {
  return error instanceof CalendarError && error.fatal;
}
