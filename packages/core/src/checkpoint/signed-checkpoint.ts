import { defaultEd25519, type Ed25519Verifier } from '../note/ed25519.js';
import { NoteError } from '../note/note-error.js';
import { NOTE_ALG_ED25519, type NoteSigner, type NoteVerifierKey } from '../note/note-key.js';
import {
  formatNote,
  type NoteSignature,
  parseNote,
  type SignedNote,
  signNoteText,
  verifyNoteSignature,
} from '../note/signed-note.js';
import { type Checkpoint, formatCheckpointBody, parseCheckpointBody } from './checkpoint-body.js';
import { CheckpointError } from './checkpoint-error.js';

/** A checkpoint whose log signature verified. */
export interface OpenedCheckpoint {
  readonly checkpoint: Checkpoint;
  /** The names of the trusted log keys whose signature lines verified, in line order, without repeats. */
  readonly signedBy: readonly string[];
}

/**
 * The signed-note text of `checkpoint` signed by the log key `signer`. The signer MUST be an Ed25519
 * (0x01) key named after the origin (`SIGNER_MISMATCH` otherwise).
 */
export function signCheckpoint(checkpoint: Checkpoint, signer: NoteSigner): string {
  if (signer.algorithm !== NOTE_ALG_ED25519 || signer.name !== checkpoint.origin) {
    throw new CheckpointError(
      'SIGNER_MISMATCH',
      `a checkpoint of ${checkpoint.origin} needs an Ed25519 (0x01) key of that name, got ${signer.name}`,
    );
  }
  const body = formatCheckpointBody(checkpoint);
  return formatNote({ text: body, signatures: [signNoteText(body, signer)] });
}

/**
 * Parses the checkpoint note `noteText` (hostile input) and checks its log signatures with the
 * caller's trusted log keys (docs/PROOFS.md §7). Only Ed25519 (0x01) keys of `trustedLogKeys` are
 * used; others are ignored (witness keys are checked by `verifyCosignatures`).
 *
 * - The note and body must parse strictly (`CHECKPOINT_MALFORMED`).
 * - Every signature line whose name and key id match a trusted key MUST verify with that key
 *   (`SIGNATURE_INVALID`), even if another trusted line verifies. Other lines are ignored.
 * - At least one verified key MUST be named after the checkpoint's origin (the log's key name is the
 *   origin), else `UNTRUSTED_KEY`: a key trusted for one log never vouches for another origin.
 */
export function openCheckpoint(
  noteText: string | Uint8Array,
  trustedLogKeys: readonly NoteVerifierKey[],
  ed: Ed25519Verifier = defaultEd25519(),
): OpenedCheckpoint {
  const { note, checkpoint } = parseCheckpointNote(noteText);
  const keys = trustedLogKeys.filter((key) => key.algorithm === NOTE_ALG_ED25519);
  const signedBy: string[] = [];
  for (const signature of note.signatures) {
    for (const key of matchingKeys(signature, keys)) {
      if (!verifyNoteSignature(note.text, signature, key, ed)) {
        throw new CheckpointError('SIGNATURE_INVALID', `signature of trusted log key ${key.name} is invalid`);
      }
      if (!signedBy.includes(key.name)) signedBy.push(key.name);
    }
  }
  if (!signedBy.includes(checkpoint.origin)) {
    throw new CheckpointError(
      'UNTRUSTED_KEY',
      `no trusted key of ${checkpoint.origin} signed the checkpoint`,
    );
  }
  return { checkpoint, signedBy };
}

/**
 * Parses a checkpoint note (hostile input) without checking any signature: the note per C2SP
 * signed-note, its text per {@link parseCheckpointBody}. Throws `CHECKPOINT_MALFORMED`.
 */
export function parseCheckpointNote(noteText: string | Uint8Array): {
  note: SignedNote;
  checkpoint: Checkpoint;
} {
  let note: SignedNote;
  try {
    note = parseNote(noteText);
  } catch (e) {
    if (e instanceof NoteError) throw new CheckpointError('CHECKPOINT_MALFORMED', e.message, { cause: e });
    throw e;
  }
  return { note, checkpoint: parseCheckpointBody(note.text) };
}

/** The trusted keys a signature line claims to be from: same name and key id. */
export function matchingKeys(
  signature: NoteSignature,
  keys: readonly NoteVerifierKey[],
): readonly NoteVerifierKey[] {
  return keys.filter((key) => key.name === signature.name && key.keyId === signature.keyId);
}
