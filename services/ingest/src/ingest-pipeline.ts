import type { LocateQuery } from './batch-locator.js';
import type { ClaimRecord } from './claim-record.js';
import type { ClaimOutcome, StoredClaim } from './idempotency-store.js';
import type { PreparedEvent } from './prepare-events.js';
import { type SealedBatch, ShardBatcher } from './shard-batcher.js';

/** Why an event was not made durable; every one is retryable with the same event id. */
export type FailureCode = 'UNAVAILABLE' | 'IN_PROGRESS' | 'OVERLOADED';

/** The answer for one event. */
export type Ack =
  | {
      readonly kind: 'durable';
      readonly eventId: Uint8Array;
      readonly leafHash: Uint8Array;
      readonly shard: number;
      readonly expectedRound: number;
      readonly receivedAtUs: number;
      /** True when the id had been submitted before: this is the original ack. */
      readonly duplicate: boolean;
    }
  | {
      readonly kind: 'failed';
      readonly eventId: Uint8Array;
      readonly code: FailureCode;
      readonly message: string;
    };

/** The idempotency records, as the pipeline uses them (IdempotencyStore in production). */
export interface ClaimStore {
  claim(key: string, record: ClaimRecord): Promise<ClaimOutcome>;
  read(key: string): Promise<StoredClaim | undefined>;
  replace(key: string, record: ClaimRecord, revision: number): Promise<StoredClaim | undefined>;
}

export interface PipelinePorts {
  readonly store: ClaimStore;
  readonly locator: { contains(query: LocateQuery): Promise<boolean> };
  /** Publishes one EventBatch with msgID = batchId; resolves once JetStream acked it. */
  readonly publishBatch: (batch: SealedBatch) => Promise<void>;
  readonly subjectOf: (shard: number) => string;
  readonly nextBatchId: () => string;
  readonly nowMs: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

export interface PipelineOptions {
  readonly claimWindowMs: number;
  readonly publishTimeoutMs: number;
  /** Extra time after a claim's end before others treat it as over (clock differences). */
  readonly claimGraceMs: number;
  readonly lingerMs: number;
  readonly batchMaxEvents: number;
  readonly batchMaxBytes: number;
  /** A request that brought at least this many events to a batch seals it without lingering. */
  readonly sealAtLeast: number;
}

const FIRST_POLL_MS = 25;
const MAX_POLL_MS = 500;

/**
 * Claims, batches and publishes prepared events, and answers each with its ack.
 *
 * A new event takes a slot in its shard's open batch (so it knows the batch id), is claimed in KV
 * with the full original ack, the canonical bytes, the batch id and the batch's publish deadline
 * (claim_until), and goes out with the batch; its ack is durable once JetStream acked the batch.
 * An id that is already claimed gets the original ack from its record once the event is found in
 * the stream under the record's batch id; while the claim runs it waits (bounded by the deadline,
 * else IN_PROGRESS); once the claim is over and the event is not in the stream, it re-claims the
 * record by compare-and-set with a fresh batch id and publishes the stored canonical bytes.
 */
export class IngestPipeline {
  /** One batcher per shard, made on the shard's first event (the shard map may add shards live). */
  readonly #batchers = new Map<number, ShardBatcher>();

  readonly #ports: PipelinePorts;
  readonly #options: PipelineOptions;

  constructor(ports: PipelinePorts, options: PipelineOptions) {
    this.#ports = ports;
    this.#options = options;
  }

  #batcherOf(shard: number): ShardBatcher {
    let batcher = this.#batchers.get(shard);
    if (batcher === undefined) {
      batcher = new ShardBatcher({
        shard,
        maxEvents: this.#options.batchMaxEvents,
        maxBytes: this.#options.batchMaxBytes,
        lingerMs: this.#options.lingerMs,
        claimWindowMs: this.#options.claimWindowMs,
        nextBatchId: this.#ports.nextBatchId,
        publish: this.#ports.publishBatch,
        nowMs: this.#ports.nowMs,
      });
      this.#batchers.set(shard, batcher);
    }
    return batcher;
  }

  /** Acks for `events` (distinct ids), in order. Never rejects: failures are failed acks. */
  submit(events: readonly PreparedEvent[], deadlineMs: number): Promise<Ack[]> {
    const acks = events.map((event) => this.#submitOne(event, deadlineMs));
    const counts = new Map<number, number>();
    for (const event of events) counts.set(event.shard, (counts.get(event.shard) ?? 0) + 1);
    for (const [shard, count] of counts) {
      if (count >= this.#options.sealAtLeast)
        this.#batchers.get(shard)?.sealIfAtLeast(this.#options.sealAtLeast);
    }
    return Promise.all(acks);
  }

  /** Seals every open batch (on shutdown, so nothing waits for a linger that will not come). */
  flush(): void {
    for (const batcher of this.#batchers.values()) batcher.flush();
  }

  async #submitOne(event: PreparedEvent, deadlineMs: number): Promise<Ack> {
    const batcher = this.#batcherOf(event.shard);
    // Synchronously, before any await: a request's events are all in their batches before sealing.
    const slot = batcher.add(event.canonical);
    const record: ClaimRecord = {
      leafHash: event.leafHash,
      shard: event.shard,
      expectedRound: event.expectedRound,
      batchId: slot.batchId,
      receivedAtUs: event.receivedAtUs,
      claimUntilMs: slot.deadlineMs,
      event: event.canonical,
    };
    let outcome: ClaimOutcome;
    try {
      outcome = await this.#ports.store.claim(event.key, record);
    } catch (error: unknown) {
      slot.withdraw();
      return failed(event.eventId, 'UNAVAILABLE', `could not claim the event id: ${messageOf(error)}`);
    }
    if (outcome === 'exists') {
      slot.withdraw();
      return this.#resolveExisting(event, deadlineMs);
    }
    slot.confirm();
    const published = await slot.published;
    if (!published.ok) {
      return failed(
        event.eventId,
        'UNAVAILABLE',
        `the batch was not acknowledged: ${messageOf(published.error)}`,
      );
    }
    return durable(event.eventId, record, false);
  }

  /** The original ack of an id claimed before (here or by another ingest), once it is durable. */
  async #resolveExisting(event: PreparedEvent, deadlineMs: number): Promise<Ack> {
    let pollMs = FIRST_POLL_MS;
    for (;;) {
      let stored: StoredClaim | undefined;
      try {
        stored = await this.#ports.store.read(event.key);
        if (stored === undefined) {
          return failed(event.eventId, 'IN_PROGRESS', 'the event id was released just now; retry');
        }
        const { record } = stored;
        const ended = this.#ports.nowMs() >= this.#claimEnd(record);
        const found = await this.#ports.locator.contains({
          subject: this.#ports.subjectOf(record.shard),
          batchId: record.batchId,
          event: record.event,
          fromMs: Math.floor(record.receivedAtUs / 1000),
          untilMs: record.claimUntilMs + this.#options.publishTimeoutMs,
        });
        if (found) return durable(event.eventId, record, true);
        if (ended) {
          const recovered = await this.#recover(event, stored);
          if (recovered !== undefined) return recovered;
        }
      } catch (error: unknown) {
        return failed(
          event.eventId,
          'UNAVAILABLE',
          `could not look up the earlier submission: ${messageOf(error)}`,
        );
      }
      if (this.#ports.nowMs() + pollMs >= deadlineMs) {
        return failed(
          event.eventId,
          'IN_PROGRESS',
          'an earlier submission of this event id is still being made durable',
        );
      }
      await this.#ports.sleep(pollMs);
      pollMs = Math.min(pollMs * 2, MAX_POLL_MS);
    }
  }

  /**
   * Publishes a claimed-but-lost event again: its claim is over and it is not in the stream under the
   * record's batch id, so nothing can publish it there any more. Re-claims by compare-and-set with a
   * fresh batch id (undefined when someone else changed the record first: they recover it), publishes
   * the stored canonical bytes alone, then releases the claim so that waiters find it at once.
   */
  async #recover(event: PreparedEvent, stored: StoredClaim): Promise<Ack | undefined> {
    const batchId = this.#ports.nextBatchId();
    const claimUntilMs = this.#ports.nowMs() + this.#options.claimWindowMs;
    const claimed = await this.#ports.store.replace(
      event.key,
      { ...stored.record, batchId, claimUntilMs },
      stored.revision,
    );
    if (claimed === undefined) return undefined;
    const { record } = claimed;
    try {
      await this.#ports.publishBatch({
        batchId,
        shard: record.shard,
        events: [record.event],
        deadlineMs: claimUntilMs,
      });
    } catch (error: unknown) {
      return failed(
        event.eventId,
        'UNAVAILABLE',
        `could not publish the recovered event: ${messageOf(error)}`,
      );
    }
    const releasedAt = Math.min(this.#ports.nowMs(), claimUntilMs);
    this.#ports.store
      .replace(event.key, { ...record, claimUntilMs: releasedAt }, claimed.revision)
      .catch(() => undefined);
    return durable(event.eventId, record, true);
  }

  /** When others may treat a claim as over: after its end, a last publish attempt, and clock slack. */
  #claimEnd(record: ClaimRecord): number {
    return record.claimUntilMs + this.#options.publishTimeoutMs + this.#options.claimGraceMs;
  }
}

function durable(eventId: Uint8Array, record: ClaimRecord, duplicate: boolean): Ack {
  return {
    kind: 'durable',
    eventId,
    leafHash: record.leafHash,
    shard: record.shard,
    expectedRound: record.expectedRound,
    receivedAtUs: record.receivedAtUs,
    duplicate,
  };
}

function failed(eventId: Uint8Array, code: FailureCode, message: string): Ack {
  return { kind: 'failed', eventId, code, message };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
