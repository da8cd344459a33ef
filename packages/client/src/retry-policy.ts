import { status } from '@grpc/grpc-js';
import type { MsiClientErrorCode } from './client-error.js';

/** How failed submissions are retried (always with the same event ids: ingest deduplicates them). */
export interface RetryPolicy {
  /** The first delay before a retry, ms. */
  readonly initialDelayMs: number;
  /** The longest delay, ms (delays double up to it, each with up to 50 % jitter below). */
  readonly maxDelayMs: number;
  /** An event not durable this long after it was first sent fails with TIMEOUT. */
  readonly giveUpAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { initialDelayMs: 50, maxDelayMs: 5000, giveUpAfterMs: 120_000 };

/** What to do with the events of a SubmitBatch call that failed with `code`. */
export type CallVerdict =
  | { readonly retry: true }
  | { readonly retry: false; readonly code: MsiClientErrorCode; readonly invalidIndex?: number };

/**
 * The verdict on a failed call (its gRPC status and details): transient failures (the server is
 * down, overloaded, slow, or failed inside) are retried; an event ingest refused is INVALID_EVENT for
 * that event (ingest names it `events[i]…`; the others are sent again); credentials are final.
 */
export function judgeCallFailure(code: number, details: string): CallVerdict {
  switch (code) {
    case status.INVALID_ARGUMENT:
    case status.OUT_OF_RANGE:
    case status.FAILED_PRECONDITION: {
      const index = invalidEventIndex(details);
      return index === undefined
        ? { retry: false, code: 'INVALID_EVENT' }
        : { retry: false, code: 'INVALID_EVENT', invalidIndex: index };
    }
    case status.UNAUTHENTICATED:
      return { retry: false, code: 'UNAUTHENTICATED' };
    case status.PERMISSION_DENIED:
      return { retry: false, code: 'PERMISSION_DENIED' };
    case status.UNIMPLEMENTED:
      return { retry: false, code: 'UNAVAILABLE' };
    default:
      // UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, CANCELLED, INTERNAL, UNKNOWN, DATA_LOSS
      return { retry: true };
  }
}

/** The index i of the `events[i]` that ingest's INVALID_ARGUMENT details name first, if any. */
export function invalidEventIndex(details: string): number | undefined {
  const match = /^events\[(\d{1,6})\]/.exec(details);
  return match === null ? undefined : Number(match[1]);
}

/** The delay before attempt `attempt` (1 = the first retry): doubling, capped, jittered by `random` in [0, 1). */
export function retryDelayMs(policy: RetryPolicy, attempt: number, random: number): number {
  const full = Math.min(
    policy.maxDelayMs,
    policy.initialDelayMs * 2 ** Math.min(30, Math.max(0, attempt - 1)),
  );
  return Math.round(full * (0.5 + random / 2));
}
