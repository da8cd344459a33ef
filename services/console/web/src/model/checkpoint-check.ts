import {
  type Checkpoint,
  CheckpointError,
  type Cosignature,
  formatKeyId,
  openCheckpoint,
  portableEd25519,
  verifyCosignatures,
} from '@msi/core';
import type { PinnedTrust } from './pinned-trust.js';

/** A checkpoint note checked in this page against the pinned keys. */
export type CheckpointCheck =
  | {
      readonly ok: true;
      readonly checkpoint: Checkpoint;
      readonly signedBy: readonly string[];
      readonly cosignatures: readonly Cosignature[];
    }
  | { readonly ok: false; readonly code: string; readonly message: string };

/** Opens a checkpoint note with the pinned log keys and reads its trusted witnesses' cosignatures. */
export function checkCheckpoint(note: string, pinned: PinnedTrust): CheckpointCheck {
  const ed25519 = portableEd25519();
  try {
    const opened = openCheckpoint(note, pinned.trust.logKeys, ed25519);
    const cosignatures = verifyCosignatures(note, pinned.trust.witnessKeys ?? [], ed25519);
    return { ok: true, checkpoint: opened.checkpoint, signedBy: opened.signedBy, cosignatures };
  } catch (error: unknown) {
    const code = error instanceof CheckpointError ? error.code : 'CHECKPOINT_MALFORMED';
    return { ok: false, code, message: error instanceof Error ? error.message : String(error) };
  }
}

/** A witness's cosignature on a checkpoint, checked in this page against the pinned witness keys. */
export type WitnessCheck =
  | { readonly status: 'valid'; readonly time: number }
  | { readonly status: 'invalid'; readonly code: string; readonly message: string }
  | { readonly status: 'unverified'; readonly message: string };

/**
 * Checks the cosignature of witness `name` (key id `keyIdHex`, as GetWitnessStatus lists it) on the
 * checkpoint `note`: valid only with its key pinned and its line verifying; a pinned witness with no
 * line on the note is invalid (MISSING_COSIGNATURE); an unpinned one stays unverified.
 */
export function checkWitness(
  note: string,
  pinned: PinnedTrust,
  name: string,
  keyIdHex: string,
): WitnessCheck {
  const key = (pinned.trust.witnessKeys ?? []).find(
    (k) => k.name === name && formatKeyId(k.keyId) === keyIdHex,
  );
  if (key === undefined) return { status: 'unverified', message: 'this witness key is not pinned' };
  try {
    const found = verifyCosignatures(note, [key], portableEd25519());
    const mine = found[0];
    if (mine === undefined) {
      return { status: 'invalid', code: 'MISSING_COSIGNATURE', message: `no cosignature of ${name} on it` };
    }
    return { status: 'valid', time: mine.time };
  } catch (error: unknown) {
    const code = error instanceof CheckpointError ? error.code : 'CHECKPOINT_MALFORMED';
    return { status: 'invalid', code, message: error instanceof Error ? error.message : String(error) };
  }
}
