import { bytesEqual } from '@msi/core';

/** The last message on `<prefix>.rounds`: its stream sequence, its round number and its bytes. */
export interface LastPublished {
  readonly seq: number;
  readonly round: number;
  readonly data: Uint8Array;
}

/** An outbox row: the RoundAnchored of round `round`, as the database holds it. */
export interface OutboxRow {
  readonly round: number;
  readonly payload: Uint8Array;
}

/** What the outbox publisher does next. */
export type PublishPlan =
  /** Publish `rows` in order; the first expects the subject's last sequence to be `expectLastSequence`. */
  | { readonly kind: 'publish'; readonly rows: readonly OutboxRow[]; readonly expectLastSequence: number }
  /** The stream already has every round the database holds. */
  | { readonly kind: 'up-to-date' }
  /** The stream is ahead of the database (or the rows do not follow it): leave it to the catch-up. */
  | { readonly kind: 'behind' }
  /** The stream's last round differs from the database's round of the same number. */
  | { readonly kind: 'forked'; readonly round: number };

/**
 * Plans publishing from the outbox (pure). `rows` are the database's outbox rows from round
 * `last.round` on (from round 0 when nothing is published), in round order. The stream's last round
 * must equal the database's byte for byte; then the rows after it are published in order, each
 * expecting the previous one as the subject's last message, so `<prefix>.rounds` holds every round
 * once, in order, and a calendar that is not in line can never publish (it is fenced).
 * Rows that are missing from the stream (never published, or lost by the server) are (re)published.
 */
export function planPublish(last: LastPublished | undefined, rows: readonly OutboxRow[]): PublishPlan {
  let next = 0;
  let pending = rows;
  if (last !== undefined) {
    const [first, ...rest] = rows;
    if (first === undefined || first.round !== last.round) return { kind: 'behind' };
    if (!bytesEqual(first.payload, last.data)) return { kind: 'forked', round: last.round };
    next = last.round + 1;
    pending = rest;
  }
  const run: OutboxRow[] = [];
  for (const row of pending) {
    if (row.round !== next + run.length) break;
    run.push(row);
  }
  if (run.length === 0) return pending.length === 0 ? { kind: 'up-to-date' } : { kind: 'behind' };
  return { kind: 'publish', rows: run, expectLastSequence: last?.seq ?? 0 };
}
