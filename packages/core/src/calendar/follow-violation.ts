/**
 * Why a RoundAnchored does not extend the calendar as docs/PROOFS.md §6 requires, as a follower
 * judges it (followRound). A closed set: callers map codes, never messages. The first three mean the
 * round was NOT followed (the state is unchanged); every other code is reported for a round that is
 * followed all the same (its leaf appended), so later checkpoints can still be checked.
 */
export type FollowViolationCode =
  | 'ROUND_MALFORMED' // not followed: the round record does not parse (length, magic, version, a u64 > 2^53 − 1)
  | 'ROUND_GAP' // not followed: round k > size, rounds size … k − 1 never came
  | 'ROUND_REPEATED' // not followed: round k < size, a round number followed before
  | 'ROUND_INVALID' // the record breaks a rule of round record v1 (validateRound; the RoundError code is in the message)
  | 'INTERVAL_CHANGED' // interval_ms differs from the calendar's (round 0's, or the one the calendar was created with)
  | 'CLOSED_AT_NOT_INCREASING' // closed_at <= the previous round's closed_at
  | 'SEALS_START' // seals_start is not the previous round's seals_end (FIRST_SEAL_SEQUENCE for round 0)
  | 'SEAL_COUNT' // the message carries another number of seals than seal_count
  | 'SEAL_MALFORMED' // a carried seal record does not decode (decodeSeal)
  | 'SEALS_ORDER' // the carried seals are not in strictly increasing (shard, seal_number) order
  | 'CLOSED_BEFORE_SEAL' // closed_at < the max_received_at of a carried seal
  | 'ROOT_MISMATCH' // root is not MTH over the carried seal records, in the order carried
  | 'CHECKPOINT_INVALID' // the checkpoint does not parse, or does not verify with the trusted log key
  | 'CHECKPOINT_ORIGIN' // its origin is not the calendar's
  | 'CHECKPOINT_SIZE' // its size is not k + 1
  | 'CHECKPOINT_ROOT'; // its root is not the root of the calendar rebuilt from every round leaf

/** One broken rule: its code, and a message naming the field and the values compared. */
export interface FollowViolation {
  readonly code: FollowViolationCode;
  readonly message: string;
}

/** The codes about a round's checkpoint (the others are about the round). */
export const CHECKPOINT_VIOLATIONS: readonly FollowViolationCode[] = [
  'CHECKPOINT_INVALID',
  'CHECKPOINT_ORIGIN',
  'CHECKPOINT_SIZE',
  'CHECKPOINT_ROOT',
];
