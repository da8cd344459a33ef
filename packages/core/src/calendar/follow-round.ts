import type { MerkleHasher } from '@msi/merkle';
import type { Checkpoint } from '../checkpoint/index.js';
import {
  type AnchoredRound,
  type ExtendedRound,
  extendFollower,
  type UnfollowedRound,
} from './extend-follower.js';
import { checkFollowerCheckpoint, type FollowerTrust } from './follower-checkpoint.js';
import type { FollowerState } from './follower-state.js';

/** A followed round with its checkpoint judged too. */
export interface FollowedRound extends ExtendedRound {
  /** The round's checkpoint when it broke no rule; undefined otherwise. */
  readonly checkpoint: Checkpoint | undefined;
}

/**
 * Follows one RoundAnchored (pure): extendFollower, then, for a round that was followed,
 * checkFollowerCheckpoint against the new state. Every broken rule is in `violations`, round rules
 * first; a round with none extends the calendar exactly as docs/PROOFS.md §6 requires.
 */
export function followRound(
  hasher: MerkleHasher,
  state: FollowerState,
  anchored: AnchoredRound,
  trust: FollowerTrust,
): FollowedRound | UnfollowedRound {
  const extension = extendFollower(hasher, state, anchored);
  if (extension.kind === 'not-followed') return extension;
  const checked = checkFollowerCheckpoint(extension.state, anchored.checkpoint, trust);
  return {
    ...extension,
    state: checked.state,
    checkpoint: checked.checkpoint,
    violations: [...extension.violations, ...checked.violations],
  };
}
