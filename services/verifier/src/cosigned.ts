import {
  CheckpointError,
  type Ed25519Verifier,
  formatNote,
  NOTE_ALG_COSIGNATURE_V1,
  NoteError,
  type NoteVerifierKey,
  openCheckpoint,
  parseCheckpointNote,
  verifyCosignatures,
} from '@msi/core';
import type { CheckResult } from './checks.js';

/** A cosigned checkpoint note the projection keeps: the log's lines plus `cosignatureCount` others. */
export interface CosignedNote {
  readonly size: number;
  /** The note text, with the lines of configured witnesses that did not verify dropped. */
  readonly note: string;
  /** Signature lines other than the trusted calendar key's (witness cosignatures, verified or not). */
  readonly cosignatureCount: number;
  /** Lines of configured witness keys dropped because they did not verify. */
  readonly dropped: number;
}

/** A failed check of a cosigned checkpoint; `fork` when the body differs from the verified one. */
export type CosignedFailure = { readonly ok: false; readonly detail: string; readonly fork: boolean };

/**
 * Checks a checkpoint note published as cosigned for `size` (hostile input) against `verifiedNote`,
 * the checkpoint of that size the projection already verified (undefined when there is none).
 *
 * - The note must parse strictly (core parseCheckpointNote) and be of `size`.
 * - Its body MUST be byte-identical to the verified checkpoint's body; a different body of the same
 *   size is a fork shown to witnesses (`fork: true`).
 * - Its log signature must verify with `calendarKey` (openCheckpoint).
 * - Lines of `witnessKeys` (0x04, optional) that do not verify are dropped; lines of unknown keys are
 *   kept for auditors to judge. The count is of every line not by the calendar key.
 */
export function checkCosigned(
  size: number,
  noteText: string,
  verifiedNote: string | undefined,
  calendarKey: NoteVerifierKey,
  witnessKeys: readonly NoteVerifierKey[],
  ed25519: Ed25519Verifier,
): CheckResult<CosignedNote> | CosignedFailure {
  const fail = (detail: string, fork = false): CosignedFailure => ({ ok: false, detail, fork });
  try {
    const { note, checkpoint } = parseCheckpointNote(noteText);
    if (checkpoint.size !== size) {
      return fail(`cosigned checkpoint of size ${checkpoint.size} published as size ${size}`);
    }
    if (verifiedNote === undefined) return fail(`no verified checkpoint of size ${size}`);
    const verified = parseCheckpointNote(verifiedNote);
    if (verified.note.text !== note.text) {
      return fail(
        `fork: the cosigned checkpoint of size ${size} has a body different from the verified one`,
        true,
      );
    }
    openCheckpoint(noteText, [calendarKey], ed25519);
    const witnesses = witnessKeys.filter((k) => k.algorithm === NOTE_ALG_COSIGNATURE_V1);
    let dropped = 0;
    const kept = note.signatures.filter((signature) => {
      const keys = witnesses.filter((k) => k.name === signature.name && k.keyId === signature.keyId);
      if (keys.length === 0) return true;
      try {
        verifyCosignatures(formatNote({ text: note.text, signatures: [signature] }), keys, ed25519);
        return true;
      } catch (error: unknown) {
        if (!(error instanceof CheckpointError)) throw error;
        dropped++;
        return false;
      }
    });
    const isLog = (s: { name: string; keyId: number }): boolean =>
      s.name === calendarKey.name && s.keyId === calendarKey.keyId;
    return {
      ok: true,
      value: {
        size,
        note: dropped === 0 ? noteText : formatNote({ text: note.text, signatures: kept }),
        cosignatureCount: kept.filter((s) => !isLog(s)).length,
        dropped,
      },
    };
  } catch (error: unknown) {
    if (error instanceof CheckpointError || error instanceof NoteError) {
      return fail(`cosigned checkpoint of size ${size}: ${error.code}: ${error.message}`);
    }
    throw error;
  }
}
