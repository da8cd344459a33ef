import type { WriterLease } from './writer-lease.js';

/** The shortest publication interval: a publication's time has a resolution of one second. */
export const MIN_PUBLICATION_INTERVAL_MS = 1000;

/**
 * The time (whole seconds since the epoch) a publication made at `nowMs` carries. It is taken after
 * the checkpoint was read, so the checkpoint existed by then; rounding down never claims a later time.
 */
export function publicationTime(nowMs: number): number {
  return Math.floor(nowMs / 1000);
}

/**
 * True when `me` holds the writer lease now (pure; `nowMs` on the database's clock): only the lease
 * holder publishes. Unlike appending, an expired lease of its own does not count — a process that lost
 * contact long enough for another to take over must not publish next to it.
 */
export function holdsLease(lease: WriterLease, me: string, nowMs: number): boolean {
  return lease.owner === me && lease.leaseUntilMs > nowMs;
}
