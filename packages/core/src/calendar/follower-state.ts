import { CompactRange, type MerkleHasher } from '@msi/merkle';

/** The first seal-stream sequence a calendar covers: round 0's seals_start (JetStream starts at 1). */
export const FIRST_SEAL_SEQUENCE = 1;

/**
 * What a follower of the calendar (the calendar replaying its stream, the verifier, the alerter)
 * knows after following rounds 0 … size − 1 of `<prefix>.rounds`: enough to judge whether the next
 * RoundAnchored extends the calendar (followRound). Immutable: following returns a new state.
 */
export interface FollowerState {
  /** Rounds followed; the next is k = size. Always `range.size`. */
  readonly size: number;
  /** The compact range over the round leaf hashes [0, size): the calendar's root at every size. */
  readonly range: CompactRange;
  /** closed_at of round size − 1, µs; null before round 0. */
  readonly lastClosedAt: number | null;
  /**
   * seals_end of round size − 1: the next round's seals_start (FIRST_SEAL_SEQUENCE before round 0);
   * null when not known (a state restored from storage that did not keep it): not judged then.
   */
  readonly sealsEnd: number | null;
  /** interval_ms of the calendar (its rounds so far, or as configured); null before it is known. */
  readonly intervalMs: number | null;
  /** The checkpoints' origin (the log key's name); '' before the first verified checkpoint. */
  readonly origin: string;
}

/** What a follower may know of the calendar before round 0 (the calendar itself knows both). */
export interface KnownCalendar {
  readonly intervalMs?: number;
  readonly origin?: string;
}

/** The state before round 0: every round of the calendar is still to come. */
export function emptyFollowerState(hasher: MerkleHasher, known: KnownCalendar = {}): FollowerState {
  return {
    size: 0,
    range: new CompactRange(hasher),
    lastClosedAt: null,
    sealsEnd: FIRST_SEAL_SEQUENCE,
    intervalMs: known.intervalMs ?? null,
    origin: known.origin ?? '',
  };
}

/** A node of the calendar tree whose hash is final (a leaf, or a perfect subtree), to store. */
export interface TreeNode {
  readonly level: number;
  readonly index: number;
  readonly hash: Uint8Array;
}
