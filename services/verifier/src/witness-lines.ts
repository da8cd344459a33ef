import { CheckpointError, cosignatureTime, type NoteVerifierKey, parseCheckpointNote } from '@msi/core';

/** A witness's cosignature line of a checkpoint note, as claimed (not verified here). */
export interface WitnessLine {
  readonly name: string;
  /** uint32. */
  readonly keyId: number;
  /** The witness's time T, seconds since the epoch (its claim, docs/PROOFS.md §7 "Cosignatures"). */
  readonly time: number;
}

/**
 * The cosignature lines of a checkpoint note that the projection checked and kept (checkCosigned):
 * every signature line other than the calendar key's that has the shape of a tlog-cosignature/v1
 * line (`T (u64) || 64-byte signature`); other lines are skipped. Only lines of configured witness
 * keys (MSI_VERIFIER_WITNESS_KEYS) were verified; the others are what the witness claims.
 */
export function witnessLinesOf(noteText: string, calendarKey: NoteVerifierKey): WitnessLine[] {
  const { note } = parseCheckpointNote(noteText);
  const lines: WitnessLine[] = [];
  for (const signature of note.signatures) {
    if (signature.name === calendarKey.name && signature.keyId === calendarKey.keyId) continue;
    try {
      lines.push({ name: signature.name, keyId: signature.keyId, time: cosignatureTime(signature) });
    } catch (error: unknown) {
      if (!(error instanceof CheckpointError)) throw error;
    }
  }
  return lines;
}

/** A witness's newest cosignature: the largest size it cosigned, at its earliest time for that size. */
export interface WitnessHead extends WitnessLine {
  readonly size: number;
}

/**
 * Per witness (name, key id), the head of the cosigned notes given: the largest size, and for that
 * size the earliest time (when it first claimed to see it). One entry per witness, by name then key id.
 */
export function witnessHeadsOf(
  notes: readonly { readonly size: number; readonly lines: readonly WitnessLine[] }[],
): WitnessHead[] {
  const heads = new Map<string, WitnessHead>();
  for (const { size, lines } of notes) {
    for (const line of lines) {
      const key = `${line.name}\u0000${line.keyId}`;
      const kept = heads.get(key);
      if (kept === undefined || size > kept.size || (size === kept.size && line.time < kept.time))
        heads.set(key, { ...line, size });
    }
  }
  return [...heads.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.keyId - b.keyId));
}
