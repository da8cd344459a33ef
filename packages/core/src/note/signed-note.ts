import { decodeBase64, encodeBase64 } from './base64.js';
import { ED25519_SIGNATURE_SIZE, type Ed25519Verifier } from './ed25519.js';
import { MAX_NOTE_SIGNATURES, NoteError } from './note-error.js';
import { NOTE_ALG_ED25519, type NoteSigner, type NoteVerifierKey } from './note-key.js';
import { decodeUtf8, hasControlCharacter, isValidKeyName, isWellFormed, utf8 } from './text.js';

/** One signature line: `— <name> base64(keyId (4 bytes, big-endian) || bytes)`. */
export interface NoteSignature {
  readonly name: string;
  /** uint32. */
  readonly keyId: number;
  /** The signature proper, after the key id: at least one byte. */
  readonly bytes: Uint8Array;
}

/** A signed note: the signed text (ending in `\n`) and its signature lines, in order. */
export interface SignedNote {
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

const SIGNATURE_PREFIX = '\u2014 ';
const KEY_ID_SIZE = 4;

/**
 * Parses a C2SP signed note. `input` is hostile (from the network or a receipt); it is accepted only
 * if it is valid UTF-8 (a well-formed string) without ASCII control characters other than `\n`; the
 * text ends in `\n` and is followed by one blank line (the last `\n\n` of the note separates them);
 * then 1 to {@link MAX_NOTE_SIGNATURES} lines `— <name> <base64>`, each with a valid key name and
 * the canonical base64 of at least 5 bytes; and the note ends with `\n`. Signatures are not checked.
 */
export function parseNote(input: string | Uint8Array): SignedNote {
  const note = typeof input === 'string' ? input : decodeUtf8(input);
  if (note === undefined || !isWellFormed(note)) malformed('note is not valid UTF-8');
  if (hasControlCharacter(note)) malformed('note has a control character other than \\n');
  const split = note.lastIndexOf('\n\n');
  if (split < 0) malformed('note has no blank line before its signatures');
  const block = note.slice(split + 2);
  if (!block.endsWith('\n')) malformed('note does not end with a signature line and \\n');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_NOTE_SIGNATURES) {
    malformed(`note has ${lines.length} signatures, at most ${MAX_NOTE_SIGNATURES} allowed`);
  }
  return { text: note.slice(0, split + 1), signatures: lines.map(parseSignatureLine) };
}

function parseSignatureLine(line: string): NoteSignature {
  if (!line.startsWith(SIGNATURE_PREFIX)) malformed('signature line does not start with "— "');
  const rest = line.slice(SIGNATURE_PREFIX.length);
  const space = rest.indexOf(' ');
  if (space < 0) malformed('signature line has no space between name and signature');
  const name = rest.slice(0, space);
  if (!isValidKeyName(name)) malformed('signature line has an invalid key name');
  const raw = decodeBase64(rest.slice(space + 1));
  if (raw === undefined || raw.length <= KEY_ID_SIZE) {
    malformed('signature is not the canonical base64 of at least 5 bytes');
  }
  const keyId = new DataView(raw.buffer, raw.byteOffset, KEY_ID_SIZE).getUint32(0);
  return { name, keyId, bytes: raw.subarray(KEY_ID_SIZE) };
}

/**
 * The text form of `note`: the text, a blank line, then one line per signature, in order. Throws
 * `NOTE_MALFORMED` when the result would not parse back to `note` (text not ending in `\n`, a control
 * character, an invalid name, no signature or more than {@link MAX_NOTE_SIGNATURES}, ...).
 */
export function formatNote(note: SignedNote): string {
  checkText(note.text);
  const count = note.signatures.length;
  if (count === 0 || count > MAX_NOTE_SIGNATURES) {
    malformed(`note has ${count} signatures, want 1 to ${MAX_NOTE_SIGNATURES}`);
  }
  return `${note.text}\n${note.signatures.map(formatSignatureLine).join('')}`;
}

function formatSignatureLine(signature: NoteSignature): string {
  if (!isValidKeyName(signature.name)) malformed('signature has an invalid key name');
  if (!Number.isInteger(signature.keyId) || signature.keyId < 0 || signature.keyId > 0xffffffff) {
    malformed('signature key id is not a uint32');
  }
  if (signature.bytes.length === 0) malformed('signature is empty');
  const raw = new Uint8Array(KEY_ID_SIZE + signature.bytes.length);
  new DataView(raw.buffer).setUint32(0, signature.keyId);
  raw.set(signature.bytes, KEY_ID_SIZE);
  return `${SIGNATURE_PREFIX}${signature.name} ${encodeBase64(raw)}\n`;
}

/**
 * The Ed25519 (type 0x01) signature of `text` by `signer`. Throws `UNSUPPORTED_ALGORITHM` for a signer
 * of another type (a witness key signs cosignatures, see checkpoint/cosignature) and `NOTE_MALFORMED`
 * for a text that cannot be a note's text.
 */
export function signNoteText(text: string, signer: NoteSigner): NoteSignature {
  if (signer.algorithm !== NOTE_ALG_ED25519) {
    throw new NoteError('UNSUPPORTED_ALGORITHM', `signer ${signer.name} is not an Ed25519 (0x01) key`);
  }
  checkText(text);
  return { name: signer.name, keyId: signer.keyId, bytes: signer.sign(utf8(text)) };
}

/** The text form of a new note: `text` signed by each of `signers` (type 0x01), in order. */
export function signNote(text: string, signers: readonly NoteSigner[]): string {
  return formatNote({ text, signatures: signers.map((signer) => signNoteText(text, signer)) });
}

/**
 * `note` with `signature` added last. A signature of the same name and key id already present is
 * replaced (as golang.org/x/mod/sumdb/note `Sign` does), so re-signing never duplicates a line.
 */
export function addNoteSignature(note: SignedNote, signature: NoteSignature): SignedNote {
  const others = note.signatures.filter((s) => s.name !== signature.name || s.keyId !== signature.keyId);
  return { text: note.text, signatures: [...others, signature] };
}

/**
 * Whether `signature` is a valid type-0x01 signature of `text` by `key`: the name and key id match,
 * the key is an Ed25519 (0x01) key, and the Ed25519 signature of the text's UTF-8 bytes verifies.
 */
export function verifyNoteSignature(
  text: string,
  signature: NoteSignature,
  key: NoteVerifierKey,
  ed: Ed25519Verifier,
): boolean {
  return (
    key.algorithm === NOTE_ALG_ED25519 &&
    signature.name === key.name &&
    signature.keyId === key.keyId &&
    signature.bytes.length === ED25519_SIGNATURE_SIZE &&
    ed.verify(key.publicKey, utf8(text), signature.bytes)
  );
}

function checkText(text: string): void {
  if (!text.endsWith('\n')) malformed('note text does not end with \\n');
  if (!isWellFormed(text) || hasControlCharacter(text)) {
    malformed('note text is not well formed or has a control character other than \\n');
  }
}

function malformed(message: string): never {
  throw new NoteError('NOTE_MALFORMED', message);
}
