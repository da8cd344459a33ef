/** The lease columns of the calendar_writer row. */
export interface WriterLease {
  /** The calendar instance holding (or last holding) the lease; null before the first append. */
  readonly owner: string | null;
  /** The lease ends at this instant, ms since the epoch on the database's clock. */
  readonly leaseUntilMs: number;
}

/** Whether this instance may append now, and the lease to write if it does. */
export type LeaseDecision =
  | { readonly kind: 'take'; readonly lease: WriterLease; readonly takeover: boolean }
  | { readonly kind: 'held'; readonly owner: string; readonly remainingMs: number };

/**
 * Decides the writer lease (pure). `nowMs` is the database's clock, so calendar hosts with skewed
 * clocks agree. The lease is this instance's to renew when it owns it (expired or not: nobody took
 * it), free to take when nobody ever held it or it has expired, and held otherwise. Taking or renewing
 * extends it to nowMs + leaseMs.
 */
export function decideLease(current: WriterLease, me: string, nowMs: number, leaseMs: number): LeaseDecision {
  const lease = { owner: me, leaseUntilMs: nowMs + leaseMs };
  if (current.owner === null || current.owner === me) return { kind: 'take', lease, takeover: false };
  if (current.leaseUntilMs <= nowMs) return { kind: 'take', lease, takeover: true };
  return { kind: 'held', owner: current.owner, remainingMs: current.leaseUntilMs - nowMs };
}
