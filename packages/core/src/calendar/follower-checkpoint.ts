import { type Checkpoint, CheckpointError, openCheckpoint } from '../checkpoint/index.js';
import { bytesEqual } from '../encoding/index.js';
import { type Ed25519Verifier, NoteError, type NoteVerifierKey } from '../note/index.js';
import type { FollowViolation } from './follow-violation.js';
import type { FollowerState } from './follower-state.js';

/** Whom a follower trusts for the calendar's checkpoints. */
export interface FollowerTrust {
  /** The calendar's log key (Ed25519, named after the origin). */
  readonly logKey: NoteVerifierKey;
  readonly ed25519?: Ed25519Verifier | undefined;
}

/** The checkpoint judged against the state, and the state with the origin learnt from it. */
export interface CheckedCheckpoint {
  readonly state: FollowerState;
  /** The checkpoint when it broke no rule (one a follower may serve); undefined otherwise. */
  readonly checkpoint: Checkpoint | undefined;
  readonly violations: readonly FollowViolation[];
}

/**
 * Judges the checkpoint carried with round k against the state that follows round k (pure): it must
 * verify with the trusted log key (CHECKPOINT_INVALID, and nothing more is judged), keep the origin
 * (CHECKPOINT_ORIGIN), name size k + 1 = state.size (CHECKPOINT_SIZE) and the root of the calendar
 * rebuilt from every round leaf (CHECKPOINT_ROOT). Matching the rebuilt root at every size is what
 * makes it consistent with every earlier checkpoint. `note` is hostile input. A state without an
 * origin takes that of the first checkpoint that verifies.
 */
export function checkFollowerCheckpoint(
  state: FollowerState,
  note: string,
  trust: FollowerTrust,
): CheckedCheckpoint {
  let checkpoint: Checkpoint;
  try {
    checkpoint = openCheckpoint(note, [trust.logKey], trust.ed25519).checkpoint;
  } catch (error: unknown) {
    if (!(error instanceof CheckpointError || error instanceof NoteError)) throw error;
    const message = `checkpoint: ${error.code}: ${error.message}`;
    return { state, checkpoint: undefined, violations: [{ code: 'CHECKPOINT_INVALID', message }] };
  }
  const violations: FollowViolation[] = [];
  if (state.origin !== '' && checkpoint.origin !== state.origin) {
    violations.push({
      code: 'CHECKPOINT_ORIGIN',
      message: `checkpoint origin: ${checkpoint.origin} is not the calendar's ${state.origin}`,
    });
  }
  if (checkpoint.size !== state.size) {
    violations.push({
      code: 'CHECKPOINT_SIZE',
      message: `checkpoint size: ${checkpoint.size}, the calendar has ${state.size} rounds`,
    });
  } else if (!bytesEqual(checkpoint.root, state.range.root())) {
    violations.push({
      code: 'CHECKPOINT_ROOT',
      message: `checkpoint root: not the root of the calendar rebuilt from the ${state.size} round leaves (inconsistent with earlier checkpoints)`,
    });
  }
  const learnt = state.origin === '' ? { ...state, origin: checkpoint.origin } : state;
  return { state: learnt, checkpoint: violations.length === 0 ? checkpoint : undefined, violations };
}
