import { type ClosedRound, closeRound, type RoundSeal } from '@msi/core';
import type { MerkleHasher } from '@msi/merkle';

/** Where the calendar stands when it closes its next round. */
export interface RoundContext {
  /** The round to close: the calendar's current size. */
  readonly round: number;
  /** closed_at of the previous round, µs; null for round 0. */
  readonly previousClosedAt: number | null;
  /** The previous round's seals_end (1 for round 0): this round's seals_start. */
  readonly sealsStart: number;
  readonly intervalMs: number;
}

/**
 * closed_at of the next round, µs: the calendar's clock, but strictly after the previous round's
 * closed_at and no earlier than any covered seal's max_received_at (docs/PROOFS.md §6), so a clock
 * that steps back or an ingest clock ahead of ours never yields an invalid round.
 */
export function closedAtFor(
  nowUs: number,
  previousClosedAt: number | null,
  seals: readonly RoundSeal[],
): number {
  let closedAt = Math.max(1, Math.floor(nowUs));
  if (previousClosedAt !== null) closedAt = Math.max(closedAt, previousClosedAt + 1);
  for (const seal of seals) closedAt = Math.max(closedAt, seal.record.maxReceivedAt);
  return closedAt;
}

/**
 * The seal range a round covers: [sealsStart, streamEnd), where streamEnd is one past the seal
 * stream's last sequence when the round closes. A range whose messages gave no seal (all redelivered
 * or unreadable) is left for the next round — the round is empty and its range [sealsStart,
 * sealsStart) — because a round record's non-empty range must hold at least one seal.
 */
export function sealsEndFor(sealsStart: number, streamEnd: number, sealCount: number): number {
  return sealCount === 0 ? sealsStart : Math.max(sealsStart, streamEnd);
}

/**
 * Closes the next round over `seals` (selected from the stream range [context.sealsStart, streamEnd),
 * without repeats) with core closeRound. Pure; throws what closeRound throws.
 */
export function assembleRound(
  hasher: MerkleHasher,
  context: RoundContext,
  streamEnd: number,
  seals: readonly RoundSeal[],
  nowUs: number,
): ClosedRound {
  return closeRound(hasher, {
    round: context.round,
    closedAt: closedAtFor(nowUs, context.previousClosedAt, seals),
    intervalMs: context.intervalMs,
    sealsStart: context.sealsStart,
    sealsEnd: sealsEndFor(context.sealsStart, streamEnd, seals.length),
    seals,
    previousClosedAt: context.previousClosedAt,
  });
}
