import { CodedError } from '../error/coded-error.js';

/**
 * Why a signed note or a note key was rejected. A closed set: callers switch on `code`, never on the
 * message.
 *
 * - `NOTE_MALFORMED`: the note breaks the C2SP signed-note syntax (invalid UTF-8, a control
 *   character, a `\r`, no blank line before the signatures, a bad signature line, bad base64, a
 *   missing final newline, more than {@link MAX_NOTE_SIGNATURES} signatures, ...).
 * - `KEY_MALFORMED`: a signer or verifier key string (or a seed, a public key) has the wrong shape.
 * - `KEY_ID_MISMATCH`: a key string is well formed but its key id is not the one its name, algorithm
 *   and public key give.
 * - `UNSUPPORTED_ALGORITHM`: the signature type byte is not one MSI supports (0x01 Ed25519, 0x04
 *   timestamped Ed25519 cosignature), or a signer of the wrong type was used.
 * - `NAME_INVALID`: a key name is empty or holds a Unicode space, a `+` or a control character.
 */
export type NoteErrorCode =
  | 'NOTE_MALFORMED'
  | 'KEY_MALFORMED'
  | 'KEY_ID_MISMATCH'
  | 'UNSUPPORTED_ALGORITHM'
  | 'NAME_INVALID';

/** The one error class of the signed-note area. */
export class NoteError extends CodedError<NoteErrorCode> {
  override readonly name = 'NoteError';
}

/** The most signature lines a note may carry (as golang.org/x/mod/sumdb/note and docs/PROOFS.md §7). */
export const MAX_NOTE_SIGNATURES = 100;
