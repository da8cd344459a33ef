import type { LeaseState } from './lease.js';

/** What one process knows when it plans its leases. */
export interface FairShareInput {
  readonly shards: number;
  readonly me: string;
  /** Ids of the live aggregators (by heartbeat); `me` counts whether listed or not. */
  readonly live: readonly string[];
  /** The state of every shard's lease, index = shard. */
  readonly leases: readonly LeaseState[];
}

/** Shards to give up and to try to take (by compare-and-set), in order. */
export interface LeasePlan {
  readonly quota: number;
  readonly release: readonly number[];
  readonly acquire: readonly number[];
}

/**
 * Fair share: with n live aggregators each holds at most ceil(shards / n) shards. A process over its
 * quota releases the extra shards (so a newly started process gets some); one under it tries to take
 * free shards. To make processes want different shards, the live ids are sorted and the process of
 * rank r prefers the shards s with s mod n = r: it takes those first and releases the others first.
 */
export function planLeases(input: FairShareInput): LeasePlan {
  const live = [...new Set([...input.live, input.me])].sort();
  const n = live.length;
  const rank = live.indexOf(input.me);
  const quota = Math.ceil(input.shards / n);
  const preferred = (shard: number): boolean => shard % n === rank;
  const byPreference = (a: number, b: number): number => Number(preferred(b)) - Number(preferred(a)) || a - b;

  const mine: number[] = [];
  const free: number[] = [];
  input.leases.forEach((lease, shard) => {
    if (lease.kind === 'mine') mine.push(shard);
    else if (lease.kind === 'free') free.push(shard);
  });
  if (mine.length > quota) {
    const keep = [...mine].sort(byPreference).slice(0, quota);
    return { quota, release: mine.filter((s) => !keep.includes(s)), acquire: [] };
  }
  return { quota, release: [], acquire: free.sort(byPreference).slice(0, quota - mine.length) };
}
