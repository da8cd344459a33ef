import { defaultEd25519, ED25519_SIGNATURE_SIZE, type Ed25519Verifier } from '../note/ed25519.js';
import { NoteError } from '../note/note-error.js';
import { NOTE_ALG_COSIGNATURE_V1, type NoteSigner, type NoteVerifierKey } from '../note/note-key.js';
import { addNoteSignature, formatNote, type NoteSignature } from '../note/signed-note.js';
import { utf8 } from '../note/text.js';
import { CheckpointError } from './checkpoint-error.js';
import { matchingKeys, parseCheckpointNote } from './signed-checkpoint.js';

/** A verified witness cosignature: witness `name` saw the checkpoint at `time` (seconds since the epoch). */
export interface Cosignature {
  readonly name: string;
  /** uint32. */
  readonly keyId: number;
  readonly time: number;
}

const TIME_SIZE = 8;

/**
 * The message a witness signs (C2SP tlog-cosignature, Ed25519 v1):
 * `"cosignature/v1\ntime <T>\n" || body`, with the body including its final `\n`.
 * Precondition: `time` is an integer in [0, 2^53 − 1] and `body` a checkpoint body.
 */
export function cosignatureMessage(body: string, time: number): Uint8Array {
  return utf8(`cosignature/v1\ntime ${time}\n${body}`);
}

/**
 * `noteText` (a checkpoint note, hostile input) with the cosignature of `witness` at `time` seconds
 * added as the last line, replacing an earlier line of the same witness key. The witness MUST be a
 * 0x04 key (`SIGNER_MISMATCH`) and the time an integer in [0, 2^53 − 1] (`TIME_OUT_OF_RANGE`).
 * This only signs: checking the log's signature and the checkpoint's consistency is the witness's
 * job before calling it.
 */
export function cosignCheckpoint(noteText: string | Uint8Array, witness: NoteSigner, time: number): string {
  if (witness.algorithm !== NOTE_ALG_COSIGNATURE_V1) {
    throw new CheckpointError('SIGNER_MISMATCH', `witness ${witness.name} is not a cosignature (0x04) key`);
  }
  if (!Number.isSafeInteger(time) || time < 0) {
    throw new CheckpointError('TIME_OUT_OF_RANGE', `cosignature time ${time} is not in [0, 2^53 - 1]`);
  }
  const { note } = parseCheckpointNote(noteText);
  const bytes = new Uint8Array(TIME_SIZE + ED25519_SIGNATURE_SIZE);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(time));
  bytes.set(witness.sign(cosignatureMessage(note.text, time)), TIME_SIZE);
  const signature: NoteSignature = { name: witness.name, keyId: witness.keyId, bytes };
  try {
    return formatNote(addNoteSignature(note, signature));
  } catch (e) {
    if (e instanceof NoteError) throw new CheckpointError('CHECKPOINT_MALFORMED', e.message, { cause: e });
    throw e;
  }
}

/**
 * The cosignatures of trusted witnesses on the checkpoint note `noteText` (hostile input), one per
 * witness key in the order of its first line, with the earliest time T of its lines (every one of
 * which verified). Only 0x04 keys of `trustedWitnessKeys` are used. The
 * note and body must parse strictly (`CHECKPOINT_MALFORMED`); every line whose name and key id match
 * a trusted witness key MUST be `key id || T (u64) || Ed25519 signature` with T ≤ 2^53 − 1 and a
 * signature that verifies (`COSIGNATURE_INVALID`). Lines of other keys are ignored. The log's own
 * signature is not checked here (see `openCheckpoint`).
 */
export function verifyCosignatures(
  noteText: string | Uint8Array,
  trustedWitnessKeys: readonly NoteVerifierKey[],
  ed: Ed25519Verifier = defaultEd25519(),
): readonly Cosignature[] {
  const { note } = parseCheckpointNote(noteText);
  const keys = trustedWitnessKeys.filter((key) => key.algorithm === NOTE_ALG_COSIGNATURE_V1);
  const found: Cosignature[] = [];
  for (const signature of note.signatures) {
    for (const key of matchingKeys(signature, keys)) {
      const time = verifiedTime(note.text, signature, key, ed);
      const at = found.findIndex((c) => c.name === key.name && c.keyId === key.keyId);
      if (at < 0) found.push({ name: key.name, keyId: key.keyId, time });
      else if (time < (found[at]?.time ?? time)) found[at] = { name: key.name, keyId: key.keyId, time };
    }
  }
  return found;
}

/**
 * The time T a cosignature line claims, NOT verified: for display and diagnostics only. Throws
 * `COSIGNATURE_INVALID` unless the line is `T (u64) || 64-byte signature` with T ≤ 2^53 − 1.
 */
export function cosignatureTime(signature: NoteSignature): number {
  const { bytes } = signature;
  const invalid = (why: string): CheckpointError =>
    new CheckpointError('COSIGNATURE_INVALID', `cosignature of ${signature.name} ${why}`);
  if (bytes.length !== TIME_SIZE + ED25519_SIGNATURE_SIZE) {
    throw invalid(`has ${bytes.length} bytes after the key id, want 72`);
  }
  const time = new DataView(bytes.buffer, bytes.byteOffset, TIME_SIZE).getBigUint64(0);
  if (time > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid('has a time above 2^53 - 1');
  return Number(time);
}

function verifiedTime(
  body: string,
  signature: NoteSignature,
  key: NoteVerifierKey,
  ed: Ed25519Verifier,
): number {
  const time = cosignatureTime(signature);
  if (!ed.verify(key.publicKey, cosignatureMessage(body, time), signature.bytes.subarray(TIME_SIZE))) {
    throw new CheckpointError(
      'COSIGNATURE_INVALID',
      `cosignature of trusted witness ${key.name} does not verify`,
    );
  }
  return time;
}
