/**
 * The next round boundary strictly after `nowMs`: the next wall-clock multiple of the interval. A
 * calendar that falls behind (a slow round, a pause, downtime) skips the boundaries it missed: rounds
 * are never backfilled for time it did not run.
 */
export function nextBoundary(nowMs: number, intervalMs: number): number {
  return (Math.floor(nowMs / intervalMs) + 1) * intervalMs;
}
