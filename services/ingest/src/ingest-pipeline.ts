import { decodeEvent } from '@msi/core';
import type { TraceLinks } from '@msi/service-kit';
import type { LocateQuery } from './batch-locator.js';
import { type ClaimIndex, type ClaimPosition, claimPosition } from './claim-index.js';
import type { ClaimBatch, StoredClaim } from './claim-log.js';
import type { PreparedEvent } from './prepare-events.js';
import { sameEventContent } from './same-event-content.js';
import { type SealedBatch, ShardBatcher } from './shard-batcher.js';

/**
 * Why an event was not made durable. UNAVAILABLE, IN_PROGRESS and OVERLOADED are retryable with the
 * same event id; ID_CONFLICT (the id is taken by other content) and ID_OUTSIDE_WINDOW (the id's time
 * is outside the dedup window) are final.
 */
export type FailureCode = 'UNAVAILABLE' | 'IN_PROGRESS' | 'OVERLOADED' | 'ID_CONFLICT' | 'ID_OUTSIDE_WINDOW';

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

/** The claims stream, as the pipeline uses it (ClaimLog in production). */
export interface ClaimLogPort {
  /** Stores a ClaimBatch; resolves with its stream sequence. */
  append(batch: ClaimBatch): Promise<number>;
  /** Resolves once the index has applied the stream up to `seq`. */
  applied(seq: number): Promise<void>;
  read(position: ClaimPosition): Promise<StoredClaim>;
}

export interface PipelinePorts {
  readonly claims: ClaimLogPort;
  /** The winners of the claims stream, applied by the claim log (read only here). */
  readonly index: Pick<ClaimIndex, 'inWindow' | 'winner'>;
  readonly locator: { find(query: LocateQuery): Promise<Uint8Array | undefined> };
  /** Publishes one EventBatch with msgID = batchId; resolves once JetStream acked it. */
  readonly publishBatch: (batch: EventBatchToPublish) => Promise<void>;
  readonly hashLeaf: (canonical: Uint8Array) => Uint8Array;
  readonly subjectOf: (shard: number) => string;
  readonly nextBatchId: () => string;
  readonly nowMs: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

export interface EventBatchToPublish {
  readonly batchId: string;
  readonly shard: number;
  readonly events: readonly Uint8Array[];
  readonly deadlineMs: number;
  /** The spans of the calls whose events it holds (its publish continues the first one's trace). */
  readonly contributors?: TraceLinks;
}

export interface PipelineOptions {
  readonly claimWindowMs: number;
  readonly publishTimeoutMs: number;
  /** Extra time after a claim's end before others treat it as void (clock differences). */
  readonly claimGraceMs: number;
  readonly lingerMs: number;
  readonly batchMaxEvents: number;
  readonly batchMaxBytes: number;
  /** A request that brought at least this many events to a batch seals it without lingering. */
  readonly sealAtLeast: number;
}

/** An event in a batch, with the void claim it replaces (0: none). */
interface BatchItem {
  readonly event: PreparedEvent;
  readonly supersedes: ClaimPosition;
}

/** What became of a batch: per item, the winner it lost to (absent: it won and is durable). */
type BatchOutcome =
  | { readonly ok: true; readonly lostTo: ReadonlyMap<number, ClaimPosition | undefined> }
  | { readonly ok: false; readonly error: unknown };

/** A batch of this process while it is claimed and published: its winners' bytes, once known. */
interface LocalBatch {
  readonly outcome: Promise<BatchOutcome>;
  readonly published: Map<string, Uint8Array>;
  settled: boolean;
}

/** Settled batches of this process kept in memory for resubmissions (each up to a batch's events). */
const RECENT_BATCHES = 16;
const FIRST_POLL_MS = 25;
const MAX_POLL_MS = 500;

/**
 * Claims, batches and publishes prepared events, and answers each with its ack.
 *
 * An id whose time is outside the window is refused (ID_OUTSIDE_WINDOW). An id the index already
 * knows is answered from its winning claim. Any other event takes a slot in its shard's open batch;
 * a sealed batch is claimed with ONE ClaimBatch on the claims stream, and once the index has applied
 * it, the events whose claim won are published in the EventBatch (durable on its ack); those that lost
 * (another submission claimed the id first, in stream order) are answered from the winner: the
 * original ack once the winner's event is found in the events stream (duplicate = true), ID_CONFLICT
 * if its content differs; while the winner's batch may still be published, the answer waits (bounded
 * by the deadline, else IN_PROGRESS); after that, the winner's claim is void and this submission
 * claims the id again, naming it in `supersedes`.
 */
export class IngestPipeline {
  /** One batcher per shard, made on the shard's first event (the shard map may add shards live). */
  readonly #batchers = new Map<number, ShardBatcher<BatchItem, BatchOutcome>>();
  readonly #local = new Map<string, LocalBatch>();

  readonly #ports: PipelinePorts;
  readonly #options: PipelineOptions;

  constructor(ports: PipelinePorts, options: PipelineOptions) {
    this.#ports = ports;
    this.#options = options;
  }

  #batcherOf(shard: number): ShardBatcher<BatchItem, BatchOutcome> {
    let batcher = this.#batchers.get(shard);
    if (batcher === undefined) {
      batcher = new ShardBatcher<BatchItem, BatchOutcome>({
        shard,
        maxItems: this.#options.batchMaxEvents,
        maxBytes: this.#options.batchMaxBytes,
        lingerMs: this.#options.lingerMs,
        claimWindowMs: this.#options.claimWindowMs,
        bytesOf: (item) => item.event.canonical.length,
        nextBatchId: this.#ports.nextBatchId,
        publish: (batch) => this.#claimAndPublish(batch),
        nowMs: this.#ports.nowMs,
      });
      this.#batchers.set(shard, batcher);
    }
    return batcher;
  }

  /**
   * Acks for `events` (distinct ids), in order. Never rejects: failures are failed acks. New events
   * wait per batch (one await per batch they went to, not one per event: this is the hot path).
   */
  async submit(events: readonly PreparedEvent[], deadlineMs: number): Promise<Ack[]> {
    const acks: (Ack | Promise<Ack>)[] = new Array(events.length);
    const byBatch = new Map<Promise<BatchOutcome>, { event: PreparedEvent; at: number; index: number }[]>();
    const counts = new Map<number, number>();
    events.forEach((event, at) => {
      const answered = this.#answerKnown(event, deadlineMs);
      if (answered !== undefined) {
        acks[at] = answered;
        return;
      }
      const slot = this.#batcherOf(event.shard).add({ event, supersedes: 0 });
      const waiting = byBatch.get(slot.outcome);
      if (waiting === undefined) byBatch.set(slot.outcome, [{ event, at, index: slot.index }]);
      else waiting.push({ event, at, index: slot.index });
      counts.set(event.shard, (counts.get(event.shard) ?? 0) + 1);
    });
    for (const [shard, count] of counts) {
      if (count >= this.#options.sealAtLeast)
        this.#batchers.get(shard)?.sealIfAtLeast(this.#options.sealAtLeast);
    }
    for (const [outcome, slots] of byBatch) {
      const settled = await outcome;
      for (const { event, at, index } of slots) acks[at] = this.#ackOf(event, settled, index, deadlineMs);
    }
    return acks.some((ack) => ack instanceof Promise) ? Promise.all(acks) : (acks as Ack[]);
  }

  /** Seals every open batch (on shutdown, so nothing waits for a linger that will not come). */
  flush(): void {
    for (const batcher of this.#batchers.values()) batcher.flush();
  }

  /** The answer of an event that needs no claim of its own (outside the window, or known), else undefined. */
  #answerKnown(event: PreparedEvent, deadlineMs: number): Ack | Promise<Ack> | undefined {
    const { index, nowMs } = this.#ports;
    if (!index.inWindow(event.idTimeMs, nowMs())) {
      return failed(
        event.eventId,
        'ID_OUTSIDE_WINDOW',
        'the time in the event id (UUIDv7) is outside the dedup window of ingest; mint a new id',
      );
    }
    const known = index.winner(event.key, event.idTimeMs);
    return known === undefined ? undefined : this.#answerFromWinner(event, known, deadlineMs);
  }

  /** Claims the event again in a batch of its own shard (replacing `supersedes`), and answers it. */
  async #claim(event: PreparedEvent, supersedes: ClaimPosition, deadlineMs: number): Promise<Ack> {
    const slot = this.#batcherOf(event.shard).add({ event, supersedes });
    return this.#ackOf(event, await slot.outcome, slot.index, deadlineMs);
  }

  /** The ack of the event at `index` of a batch: durable if its claim won, else from the winner. */
  #ackOf(event: PreparedEvent, outcome: BatchOutcome, index: number, deadlineMs: number): Ack | Promise<Ack> {
    if (!outcome.ok) {
      return failed(
        event.eventId,
        'UNAVAILABLE',
        `the batch was not made durable: ${messageOf(outcome.error)}`,
      );
    }
    if (!outcome.lostTo.has(index)) return ownAck(event);
    const winner = outcome.lostTo.get(index);
    if (winner === undefined) {
      return failed(event.eventId, 'IN_PROGRESS', 'the claim of this event id expired just now; retry');
    }
    return this.#answerFromWinner(event, winner, deadlineMs);
  }

  /**
   * One ClaimBatch for the batch; once the index applied it, the EventBatch of the events that won.
   * Never rejects.
   */
  async #claimAndPublish(batch: SealedBatch<BatchItem>): Promise<BatchOutcome> {
    const published = new Map<string, Uint8Array>();
    let settle!: (outcome: BatchOutcome) => void;
    const local: LocalBatch = {
      outcome: new Promise<BatchOutcome>((resolve) => (settle = resolve)),
      published,
      settled: false,
    };
    this.#local.set(batch.batchId, local);
    let outcome: BatchOutcome;
    try {
      const seq = await this.#ports.claims.append({
        batchId: batch.batchId,
        shard: batch.shard,
        claimUntilMs: batch.deadlineMs,
        claims: batch.items.map(({ event, supersedes }) => ({
          tenant: event.tenant,
          eventId: event.eventId,
          expectedRound: event.expectedRound,
          supersedes,
        })),
      });
      await this.#ports.claims.applied(seq);
      const lostTo = new Map<number, ClaimPosition | undefined>();
      const won: Uint8Array[] = [];
      batch.items.forEach(({ event }, index) => {
        const winner = this.#ports.index.winner(event.key, event.idTimeMs);
        if (winner === claimPosition(seq, index)) {
          won.push(event.canonical);
          published.set(event.key, event.canonical);
        } else lostTo.set(index, winner);
      });
      if (won.length > 0) {
        await this.#ports.publishBatch({
          batchId: batch.batchId,
          shard: batch.shard,
          events: won,
          deadlineMs: batch.deadlineMs,
          ...(batch.contributors === undefined ? {} : { contributors: batch.contributors }),
        });
      }
      outcome = { ok: true, lostTo };
    } catch (error: unknown) {
      outcome = { ok: false, error };
    }
    local.settled = true;
    settle(outcome);
    // The last few settled batches stay readable here (a concurrent resubmission of one of their ids);
    // older ones are looked for in the stream. Bounded by count, not by time.
    for (const [batchId, kept] of this.#local) {
      if (this.#local.size <= RECENT_BATCHES) break;
      if (kept.settled) this.#local.delete(batchId);
    }
    return outcome;
  }

  /** The answer of an id whose winning claim is at `position`, once that claim's fate is known. */
  async #answerFromWinner(event: PreparedEvent, position: ClaimPosition, deadlineMs: number): Promise<Ack> {
    let pollMs = FIRST_POLL_MS;
    for (;;) {
      let claim: StoredClaim;
      try {
        claim = await this.#ports.claims.read(position);
        const original = await this.#findOriginal(event, claim);
        if (original !== undefined) return this.#duplicateAck(event, original, claim);
      } catch (error: unknown) {
        return failed(
          event.eventId,
          'UNAVAILABLE',
          `could not look up the earlier submission: ${messageOf(error)}`,
        );
      }
      if (this.#ports.nowMs() >= claim.claimUntilMs + this.#claimEndAfter()) {
        // The winner's batch can no longer be published, and does not hold the event: its claim is void.
        return this.#claim(event, position, deadlineMs);
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

  /** The canonical bytes the winning claim's batch carries for this id, or undefined. */
  async #findOriginal(event: PreparedEvent, claim: StoredClaim): Promise<Uint8Array | undefined> {
    const local = this.#local.get(claim.batchId);
    if (local !== undefined) {
      const outcome = await local.outcome;
      // A batch whose publish failed may still have been stored (a lost PubAck): look in the stream.
      if (outcome.ok) return local.published.get(event.key);
    }
    return this.#ports.locator.find({
      subject: this.#ports.subjectOf(claim.shard),
      batchId: claim.batchId,
      eventId: event.eventId,
      fromMs: claim.storedAtMs,
      untilMs: claim.claimUntilMs + this.#options.publishTimeoutMs,
    });
  }

  #duplicateAck(event: PreparedEvent, original: Uint8Array, claim: StoredClaim): Ack {
    if (!sameEventContent(original, event.canonical)) {
      return failed(
        event.eventId,
        'ID_CONFLICT',
        'this event id was claimed within the dedup window by an event with other content (the one anchored)',
      );
    }
    return {
      kind: 'durable',
      eventId: event.eventId,
      leafHash: this.#ports.hashLeaf(original),
      shard: claim.shard,
      expectedRound: claim.expectedRound,
      receivedAtUs: decodeEvent(original).receivedAt,
      duplicate: true,
    };
  }

  /** How long after its claim_until a claim may still see its batch published: last attempt, clock slack. */
  #claimEndAfter(): number {
    return this.#options.publishTimeoutMs + this.#options.claimGraceMs;
  }
}

function ownAck(event: PreparedEvent): Ack {
  return {
    kind: 'durable',
    eventId: event.eventId,
    leafHash: event.leafHash,
    shard: event.shard,
    expectedRound: event.expectedRound,
    receivedAtUs: event.receivedAtUs,
    duplicate: false,
  };
}

function failed(eventId: Uint8Array, code: FailureCode, message: string): Ack {
  return { kind: 'failed', eventId, code, message };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
