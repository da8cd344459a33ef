/** The last round the calendar anchored, as seen on `<prefix>.rounds`. */
export interface LastRound {
  /** Round number k. */
  readonly round: number;
  /** When the calendar closed it, µs since the epoch (its clock). */
  readonly closedAtUs: number;
}

/** Past this many intervals without a new round, the calendar is presumed stopped: no estimate. */
export const STALE_INTERVALS = 5;

/**
 * The round expected to cover an event received at `receivedAtUs`: a hint for the ack, never
 * authoritative (the receipt is). Rounds close every `intervalMs` after round k; an event is sealed by
 * its shard's aggregator at the next seal tick (phase unknown) and anchored by the first round that
 * closes after that seal. So: the next round to close after the event, plus one when less than half
 * an interval is left before it closes (the seal would likely miss it). 0 when unknown: no round seen
 * yet, or the last one is older than STALE_INTERVALS intervals (the calendar never backfills).
 */
export function expectedRound(last: LastRound | undefined, receivedAtUs: number, intervalMs: number): number {
  if (last === undefined || !(intervalMs > 0)) return 0;
  const intervalUs = intervalMs * 1000;
  const elapsedUs = Math.max(0, receivedAtUs - last.closedAtUs);
  const intervals = Math.floor(elapsedUs / intervalUs);
  if (intervals >= STALE_INTERVALS) return 0;
  const next = last.round + intervals + 1;
  const leftUs = last.closedAtUs + (intervals + 1) * intervalUs - receivedAtUs;
  return leftUs * 2 > intervalUs ? next : next + 1;
}
