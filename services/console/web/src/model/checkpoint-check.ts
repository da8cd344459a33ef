import {
  type Checkpoint,
  CheckpointError,
  type Cosignature,
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
