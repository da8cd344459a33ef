import { type eventV1, ingestV1 } from '@msi/proto';
import { MsiClientError } from './client-error.js';
import { callFailureOf, type IngestTransport } from './ingest-transport.js';
import { judgeCallFailure, type RetryPolicy, retryDelayMs } from './retry-policy.js';

/** An event ingest made durable: stored by JetStream, certain to be anchored. */
export interface DurableAck {
  readonly eventId: Uint8Array;
  /** H(0x00 || canonical event bytes): the leaf its receipt proves. */
  readonly leafHash: Uint8Array;
  readonly shard: number;
  /** The round it is expected in (a hint; the receipt is authoritative). */
  readonly expectedRound: number;
  /** When ingest received it (the first submission's), µs since the epoch. */
  readonly receivedAt: number;
  /** True when this id had been submitted before (a retry): the ack is the original one. */
  readonly duplicate: boolean;
}

export interface SubmitQueueOptions {
  /** A batch waits at most this long for more events, ms. */
  readonly lingerMs: number;
  /** Events per SubmitBatch call. */
  readonly maxBatchEvents: number;
  /** SubmitBatch calls in flight at once. */
  readonly maxInFlight: number;
  /** Events submitted and not yet durable or failed (the bound of the queue). */
  readonly maxQueued: number;
  /** A full queue makes submit wait for room, or reject with QUEUE_FULL. */
  readonly whenFull: 'wait' | 'reject';
  /** The deadline of each call, ms. */
  readonly deadlineMs: number;
  readonly retry: RetryPolicy;
  /** The clock, ms. */
  readonly now: () => number;
  /** Uniform in [0, 1), for jitter. */
  readonly random: () => number;
}

interface Pending {
  readonly event: eventV1.DataEvent;
  readonly key: string;
  readonly counted: boolean;
  readonly resolve: (ack: DurableAck) => void;
  readonly reject: (error: MsiClientError) => void;
  attempts: number;
  firstSentAt: number | undefined;
  lastFailure: string;
}

/**
 * The individual-event pipeline: a bounded queue, batches by size and linger time, a few calls in
 * flight, and retries of what did not become durable — always with the same event ids, which ingest
 * deduplicates, so a retry never anchors an event twice. Each submit settles once: durable, or a
 * MsiClientError (INVALID_EVENT, UNAUTHENTICATED, PERMISSION_DENIED, TIMEOUT).
 */
/** Per-event failures that retrying the same event cannot fix. */
const FINAL_FAILURES: ReadonlySet<ingestV1.FailureCode> = new Set([
  ingestV1.FailureCode.FAILURE_CODE_ID_CONFLICT,
  ingestV1.FailureCode.FAILURE_CODE_ID_OUTSIDE_WINDOW,
]);

export class SubmitQueue {
  readonly #transport: IngestTransport;
  readonly #o: SubmitQueueOptions;
  #ready: Pending[] = [];
  #counted = 0;
  #open = 0;
  #inFlight = 0;
  #linger: NodeJS.Timeout | undefined;
  #closed = false;
  /** Set by drained(): batches go out without waiting for more events until the queue is idle. */
  #hurry = false;
  #roomWaiters: (() => void)[] = [];
  #idleWaiters: (() => void)[] = [];

  constructor(transport: IngestTransport, options: SubmitQueueOptions) {
    this.#transport = transport;
    this.#o = options;
  }

  /** Events submitted and not settled yet (queued, in flight or waiting to be retried). */
  get pending(): number {
    return this.#open;
  }

  /**
   * Queues one event and resolves once it is durable. `bypassBound` (the client's own root events)
   * skips the bound and the closed check. Throws CLOSED after close, QUEUE_FULL when full and told to
   * reject; waits for room otherwise.
   */
  async submit(event: eventV1.DataEvent, bypassBound = false): Promise<DurableAck> {
    if (!bypassBound) {
      if (this.#closed) throw new MsiClientError('CLOSED', 'the client is closed: emit before close()');
      while (this.#counted >= this.#o.maxQueued) {
        if (this.#o.whenFull === 'reject') {
          throw new MsiClientError(
            'QUEUE_FULL',
            `the queue holds ${this.#counted} events not yet durable (queue.maxEvents ${this.#o.maxQueued}); emit later or let emit wait (queue.whenFull: 'wait')`,
          );
        }
        await new Promise<void>((resolve) => this.#roomWaiters.push(resolve));
        if (this.#closed) throw new MsiClientError('CLOSED', 'the client closed while emit waited for room');
      }
    }
    return new Promise<DurableAck>((resolve, reject) => {
      this.#open++;
      if (!bypassBound) this.#counted++;
      this.#ready.push({
        event,
        key: Buffer.from(event.eventId).toString('hex'),
        counted: !bypassBound,
        resolve,
        reject,
        attempts: 0,
        firstSentAt: undefined,
        lastFailure: '',
      });
      this.#schedule();
    });
  }

  /** Resolves once every submitted event has settled (durable or failed); sends without lingering. */
  drained(): Promise<void> {
    this.#hurry = true;
    this.#schedule();
    if (this.#open === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Refuses new submissions (CLOSED); what is queued is still sent. Wakes emitters waiting for room. */
  close(): void {
    this.#closed = true;
    for (const wake of this.#roomWaiters.splice(0)) wake();
  }

  #schedule(): void {
    const full = this.#hurry ? 1 : this.#o.maxBatchEvents;
    while (this.#inFlight < this.#o.maxInFlight && this.#ready.length >= full) {
      this.#dispatch();
    }
    if (this.#ready.length === 0 || this.#linger !== undefined) return;
    this.#linger = setTimeout(() => {
      this.#linger = undefined;
      while (this.#inFlight < this.#o.maxInFlight && this.#ready.length > 0) this.#dispatch();
      if (this.#ready.length > 0) this.#schedule();
    }, this.#o.lingerMs);
  }

  /** Sends the next batch: at most maxBatchEvents, no id twice (a repeat waits for the next batch). */
  #dispatch(): void {
    const batch: Pending[] = [];
    const rest: Pending[] = [];
    const ids = new Set<string>();
    for (const item of this.#ready) {
      if (batch.length < this.#o.maxBatchEvents && !ids.has(item.key)) {
        ids.add(item.key);
        batch.push(item);
      } else rest.push(item);
    }
    this.#ready = rest;
    const now = this.#o.now();
    for (const item of batch) item.firstSentAt ??= now;
    this.#inFlight++;
    this.#transport
      .submitBatch(
        batch.map((item) => item.event),
        this.#o.deadlineMs,
      )
      .then(
        (acks) => this.#onAcks(batch, acks),
        (error: unknown) => this.#onFailure(batch, error),
      )
      .finally(() => {
        this.#inFlight--;
        this.#schedule();
      });
  }

  #onAcks(batch: Pending[], acks: readonly ingestV1.EventAck[]): void {
    if (acks.length !== batch.length) {
      this.#retryLater(batch, `ingest answered ${acks.length} acks for ${batch.length} events`);
      return;
    }
    const failed: Pending[] = [];
    batch.forEach((item, i) => {
      const outcome = acks[i]?.outcome;
      if (outcome?.$case === 'durable') {
        const d = outcome.value;
        this.#settle(item, () =>
          item.resolve({
            eventId: new Uint8Array(item.event.eventId),
            leafHash: new Uint8Array(d.leafHash),
            shard: d.shard,
            expectedRound: Number(d.expectedRound),
            receivedAt: Number(d.receivedAtUs),
            duplicate: d.duplicate,
          }),
        );
      } else if (outcome?.$case === 'failed' && FINAL_FAILURES.has(outcome.value.code)) {
        // The id is taken by other content, or outside ingest's dedup window: a retry cannot help.
        const message = outcome.value.message;
        this.#settle(item, () =>
          item.reject(
            new MsiClientError('INVALID_EVENT', `ingest refused the event: ${message}`, 'event_id'),
          ),
        );
      } else {
        item.lastFailure = outcome?.$case === 'failed' ? outcome.value.message : 'no outcome';
        failed.push(item);
      }
    });
    if (failed.length > 0) this.#retryLater(failed, failed[0]?.lastFailure ?? '');
  }

  #onFailure(batch: Pending[], error: unknown): void {
    const failure = callFailureOf(error);
    const verdict = judgeCallFailure(failure.code, failure.details);
    if (verdict.retry) {
      this.#retryLater(batch, failure.details);
      return;
    }
    if (verdict.code === 'INVALID_EVENT' && verdict.invalidIndex !== undefined) {
      const bad = batch[verdict.invalidIndex];
      if (bad !== undefined) {
        const field = /^events\[\d+\]\.?([^:]*)/.exec(failure.details)?.[1] ?? '';
        const details = failure.details.replace(/^events\[\d+\]\.?/, '');
        this.#settle(bad, () =>
          bad.reject(new MsiClientError('INVALID_EVENT', `ingest refused the event: ${details}`, field)),
        );
        // the others were refused with it (all or nothing): send them again at once
        this.#ready.unshift(...batch.filter((item) => item !== bad));
        return;
      }
    }
    for (const item of batch) {
      this.#settle(item, () =>
        item.reject(new MsiClientError(verdict.code, `ingest refused the batch: ${failure.details}`)),
      );
    }
  }

  /** Retries the items after a backoff (one timer for the group), or fails those that waited too long. */
  #retryLater(items: Pending[], reason: string): void {
    const now = this.#o.now();
    const retry: Pending[] = [];
    for (const item of items) {
      item.attempts++;
      item.lastFailure = reason;
      if (now - (item.firstSentAt ?? now) >= this.#o.retry.giveUpAfterMs) {
        this.#settle(item, () =>
          item.reject(
            new MsiClientError(
              'TIMEOUT',
              `not durable after ${item.attempts} attempts in ${this.#o.retry.giveUpAfterMs} ms: ${reason}`,
            ),
          ),
        );
      } else retry.push(item);
    }
    if (retry.length === 0) return;
    const attempts = Math.max(...retry.map((item) => item.attempts));
    setTimeout(
      () => {
        this.#ready.unshift(...retry);
        this.#schedule();
      },
      retryDelayMs(this.#o.retry, attempts, this.#o.random()),
    );
  }

  #settle(item: Pending, settle: () => void): void {
    settle();
    this.#open--;
    if (item.counted) {
      this.#counted--;
      this.#roomWaiters.shift()?.();
    }
    if (this.#open === 0) {
      this.#hurry = false;
      for (const wake of this.#idleWaiters.splice(0)) wake();
    }
  }
}
