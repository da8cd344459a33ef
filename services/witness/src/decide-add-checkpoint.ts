import {
  bytesEqual,
  type Checkpoint,
  CheckpointError,
  type Ed25519Verifier,
  type NoteVerifierKey,
  openCheckpoint,
  parseCheckpointNote,
} from '@msi/core';
import { type MerkleHasher, ProofError, verifyConsistency } from '@msi/merkle';
import type { AddCheckpointRequest } from '@msi/witness-client';
import type { WitnessErrorCode } from './witness-error.js';

/** What the witness last cosigned for one origin. */
export interface LogState {
  readonly size: number;
  /** 32 bytes. */
  readonly root: Uint8Array;
}

/** The outcome of an add-checkpoint request: cosign (and store `next` first), or refuse. */
export type Decision =
  | { readonly kind: 'cosign'; readonly checkpoint: Checkpoint; readonly next: LogState }
  | {
      readonly kind: 'refuse';
      readonly code: WitnessErrorCode;
      readonly message: string;
      /** The size the witness last cosigned, for a 409 answer. */
      readonly currentSize: number;
      /** Set once the log's signature verified: the refusal may be evidence of misbehaviour. */
      readonly checkpoint?: Checkpoint;
    };

/** What a decision needs besides the request: trusted log keys by origin, the stored state, crypto. */
export interface DecisionContext {
  readonly logKeys: ReadonlyMap<string, readonly NoteVerifierKey[]>;
  /** The state of the request's origin, as last persisted; undefined at first sight. */
  readonly stateOf: (origin: string) => LogState | undefined;
  readonly hasher: MerkleHasher;
  readonly ed: Ed25519Verifier;
}

/**
 * Decides an add-checkpoint request per C2SP tlog-witness, in the order of its checks: a strict
 * parse (REQUEST_MALFORMED), a known origin (UNKNOWN_ORIGIN), a verified log signature
 * (SIGNATURE_INVALID), old size ≤ new size (OLD_SIZE_TOO_LARGE), old size = stored size
 * (OLD_SIZE_MISMATCH), same root at the same size (SAME_SIZE_OTHER_ROOT), and a consistency proof from
 * the stored root to the new one, empty from size 0 (INCONSISTENT). Pure: the caller persists `next`
 * before cosigning, and serialises decisions per origin.
 */
export function decideAddCheckpoint(request: AddCheckpointRequest, context: DecisionContext): Decision {
  let origin: string;
  try {
    origin = parseCheckpointNote(request.checkpoint).checkpoint.origin;
  } catch (error: unknown) {
    if (!(error instanceof CheckpointError)) throw error;
    return refuse('REQUEST_MALFORMED', `checkpoint: ${error.message}`, 0);
  }
  const stored = context.stateOf(origin);
  const currentSize = stored?.size ?? 0;
  const keys = context.logKeys.get(origin);
  if (keys === undefined) return refuse('UNKNOWN_ORIGIN', `unknown log origin ${origin}`, currentSize);
  let checkpoint: Checkpoint;
  try {
    checkpoint = openCheckpoint(request.checkpoint, keys, context.ed).checkpoint;
  } catch (error: unknown) {
    if (!(error instanceof CheckpointError)) throw error;
    return refuse('SIGNATURE_INVALID', `checkpoint of ${origin}: ${error.message}`, currentSize);
  }
  if (request.oldSize > checkpoint.size) {
    return refuse('OLD_SIZE_TOO_LARGE', `old size ${request.oldSize} > size ${checkpoint.size}`, currentSize);
  }
  if (request.oldSize !== currentSize) {
    return refuse('OLD_SIZE_MISMATCH', `old size ${request.oldSize}, cosigned ${currentSize}`, currentSize);
  }
  const why = inconsistency(request, checkpoint, stored, context.hasher);
  if (why !== undefined) return { ...refuse(why.code, why.message, currentSize), checkpoint };
  return { kind: 'cosign', checkpoint, next: { size: checkpoint.size, root: checkpoint.root } };
}

function inconsistency(
  request: AddCheckpointRequest,
  checkpoint: Checkpoint,
  stored: LogState | undefined,
  hasher: MerkleHasher,
): { code: WitnessErrorCode; message: string } | undefined {
  const { origin, size, root } = checkpoint;
  if (stored !== undefined && stored.size === size && !bytesEqual(stored.root, root)) {
    return { code: 'SAME_SIZE_OTHER_ROOT', message: `${origin} at size ${size} has another root: a fork` };
  }
  if (stored === undefined || stored.size === 0) {
    if (request.proof.length === 0) return undefined;
    return {
      code: 'INCONSISTENT',
      message: `a proof from size 0 must be empty, got ${request.proof.length}`,
    };
  }
  try {
    verifyConsistency(hasher, stored.size, size, request.proof, stored.root, root);
    return undefined;
  } catch (error: unknown) {
    if (!(error instanceof ProofError)) throw error;
    const message = `${origin} ${stored.size} -> ${size} is not consistent (${error.code}): ${error.message}`;
    return { code: 'INCONSISTENT', message };
  }
}

function refuse(code: WitnessErrorCode, message: string, currentSize: number): Decision {
  return { kind: 'refuse', code, message, currentSize };
}
