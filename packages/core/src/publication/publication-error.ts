import { CodedError } from '../error/coded-error.js';

/**
 * Why a publication text was refused (docs/PROOFS.md, "Publications"). A closed set: callers switch
 * on `code`, never on the message.
 *
 * - `PUBLICATION_MALFORMED`: the header (version line, time line, empty line) breaks the syntax.
 * - `UNSUPPORTED_VERSION`: a publication of a version other than v1.
 * - `TIME_OUT_OF_RANGE`: the time is not a second in [1970-01-01T00:00:00Z, 9999-12-31T23:59:59Z].
 * - `CHECKPOINT_MALFORMED`: the embedded checkpoint note breaks the strict syntax of §7.
 */
export type PublicationErrorCode =
  | 'PUBLICATION_MALFORMED'
  | 'UNSUPPORTED_VERSION'
  | 'TIME_OUT_OF_RANGE'
  | 'CHECKPOINT_MALFORMED';

/** The one error class of the publication area. */
export class PublicationError extends CodedError<PublicationErrorCode> {
  override readonly name = 'PublicationError';
}
