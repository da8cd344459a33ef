export {
  type AnchoredRound,
  type ExtendedRound,
  extendFollower,
  type RoundExtension,
  type UnfollowedRound,
} from './extend-follower.js';
export { type FollowedRound, followRound } from './follow-round.js';
export {
  CHECKPOINT_VIOLATIONS,
  type FollowViolation,
  type FollowViolationCode,
} from './follow-violation.js';
export {
  type CheckedCheckpoint,
  checkFollowerCheckpoint,
  type FollowerTrust,
} from './follower-checkpoint.js';
export { FollowerError, type FollowerErrorCode } from './follower-error.js';
export {
  emptyFollowerState,
  FIRST_SEAL_SEQUENCE,
  type FollowerState,
  type KnownCalendar,
  type TreeNode,
} from './follower-state.js';
export {
  packCompactRange,
  packFollowerState,
  unpackCompactRange,
  unpackFollowerState,
} from './follower-storage.js';
