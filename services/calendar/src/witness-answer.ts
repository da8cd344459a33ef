import { CheckpointError, defaultEd25519, type Ed25519Verifier, verifyCosignatures } from '@msi/core';
import type { AddCheckpointResponse } from '@msi/witness-client';
import type { WitnessTarget } from './witness-list.js';

/** At most this many 409 answers are followed (each with the witness's size) in one submission. */
export const MAX_CONFLICT_RETRIES = 3;

/** What the submitter does after a witness's answer to add-checkpoint (decided without I/O). */
export type WitnessStep =
  /** 200: store the valid lines (at least one), advance the witness to `size`. */
  | { readonly kind: 'cosigned'; readonly lines: readonly string[]; readonly invalid: readonly string[] }
  /** 409: the witness holds `size`; submit again from there (if the retry budget allows). */
  | { readonly kind: 'resync'; readonly size: number }
  /** 422 / 403: the witness refuses the checkpoint as inconsistent or badly signed (integrity event). */
  | { readonly kind: 'refused'; readonly status: number; readonly message: string }
  /** Anything else (400, 404, 5xx, a 200 without one valid line of this witness): try again later. */
  | { readonly kind: 'failed'; readonly reason: string };

/** The statuses that mean the witness refuses the checkpoint itself (docs: C2SP tlog-witness). */
const REFUSALS: ReadonlySet<number> = new Set([403, 422]);

/**
 * Decides what a witness's answer to the submission of `note` means. A 200's lines are hostile input:
 * each is kept only if, appended to `note`, it is a valid cosignature of `witness`'s key (core
 * verifyCosignatures); the others are returned as `invalid` (to be logged, never stored).
 */
export function judgeWitnessAnswer(
  response: AddCheckpointResponse,
  note: string,
  witness: WitnessTarget,
  ed: Ed25519Verifier = defaultEd25519(),
): WitnessStep {
  if (response.kind === 'conflict') return { kind: 'resync', size: response.currentSize };
  if (response.kind === 'refused') {
    if (REFUSALS.has(response.status)) {
      return { kind: 'refused', status: response.status, message: response.message };
    }
    return { kind: 'failed', reason: `HTTP ${response.status}: ${response.message.slice(0, 200)}` };
  }
  const lines: string[] = [];
  const invalid: string[] = [];
  for (const line of splitLines(response.cosignatures)) {
    if (isCosignatureOf(note, line, witness, ed) && !lines.includes(line)) lines.push(line);
    else invalid.push(line);
  }
  if (lines.length === 0) return { kind: 'failed', reason: 'no valid cosignature of this witness' };
  return { kind: 'cosigned', lines: lines.slice(0, 1), invalid: [...invalid, ...lines.slice(1)] };
}

/** Whether `line` (with its `\n`) appended to `note` is a valid cosignature by `witness`'s key. */
export function isCosignatureOf(
  note: string,
  line: string,
  witness: WitnessTarget,
  ed: Ed25519Verifier = defaultEd25519(),
): boolean {
  try {
    return verifyCosignatures(`${note}${line}`, [witness.key], ed).length === 1;
  } catch (error: unknown) {
    if (error instanceof CheckpointError) return false;
    throw error;
  }
}

/** `text` (lines each ending in `\n`) as lines keeping their `\n`. */
function splitLines(text: string): string[] {
  return text
    .split('\n')
    .slice(0, -1)
    .map((line) => `${line}\n`);
}
