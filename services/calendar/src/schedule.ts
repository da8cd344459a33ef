/**
 * The next round boundary strictly after `nowMs`: the next wall-clock multiple of the interval. A
 * calendar that falls behind (a slow round, a pause, downtime) skips the boundaries it missed: rounds
 * are never backfilled for time it did not run.
 */
export function nextBoundary(nowMs: number, intervalMs: number): number {
  return (Math.floor(nowMs / intervalMs) + 1) * intervalMs;
}

/**
 * The next closing instant strictly after `nowMs`: a round boundary plus `delayMs`. The delay lets
 * the aggregators seal the window that just ended (they wait a grace after its end) so the round
 * closed right after carries those seals instead of the next one: with 1 s rounds and a 400 ms
 * delay, an event is anchored about 0.9 s after it arrives on average instead of 1.5 s.
 */
export function nextClosing(nowMs: number, intervalMs: number, delayMs: number): number {
  return nextBoundary(nowMs - delayMs, intervalMs) + delayMs;
}
