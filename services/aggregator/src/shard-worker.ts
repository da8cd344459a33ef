import { encodeSeal, type ShardMap, sealShard } from '@msi/core';
import type { MerkleHasher } from '@msi/merkle';
import { streamNamesFor, subjectsFor } from '@msi/nats';
import { type Logger, spanContextOfHeaders, TraceLinks } from '@msi/service-kit';
import {
  AckPolicy,
  type ConsumerMessages,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { AggregatorError } from './aggregator-error.js';
import { batchLeaves } from './batch-leaves.js';
import { LeafBuffer } from './leaf-buffer.js';
import type { AggregatorMetrics } from './metrics.js';
import { publishSeal, readLastSeal, type SealLogAddress } from './seal-log.js';
import { type SealTrace, tracedSeal } from './seal-span.js';
import {
  type ConsumerPosition,
  decideOnMessage,
  decideOnTick,
  isCaughtUp,
  type OpenSealView,
  timestampMsOf,
  windowEndMs,
  windowOf,
} from './seal-window.js';
import { encodeShardSealed, resumePointAfter } from './shard-sealed.js';

/** The lease a worker seals under, as its coordinator currently holds it. */
export interface ShardLeaseHandle {
  /** The lease's current KV revision (it changes on every renewal). */
  readonly revision: number;
  /** When the lease ends unless renewed, by this process's clock (epoch ms). */
  readonly expiresAtMs: number;
}

export interface ShardWorkerOptions {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly hasher: MerkleHasher;
  readonly prefix: string;
  readonly shard: number;
  readonly aggregatorId: string;
  /** The lease as of now; read before every seal. */
  readonly lease: () => ShardLeaseHandle;
  readonly intervalMs: number;
  readonly graceMs: number;
  readonly maxSealLeaves: number;
  readonly nowMs: () => number;
  readonly log: Logger;
  readonly metrics: AggregatorMetrics;
  /** The shard map in force (its version goes in every ShardSealed; a retired shard is reported). */
  readonly shardMap: () => ShardMap;
  /** A seal covered events stored after the shard retired (the integrity alert is the caller's). */
  readonly onRetiredShardSealed: (found: RetiredShardSealed) => void;
  /** The shard's backlog and seal lag as last seen (for `msi shards`). */
  readonly onStatus: (status: { readonly backlog?: number; readonly sealLagMs?: number }) => void;
}

/** What a worker found when it sealed events stored on a retired shard. */
export interface RetiredShardSealed {
  readonly shard: number;
  readonly sealNumber: number;
  readonly streamStart: number;
  readonly streamEnd: number;
  readonly mapVersion: number;
  readonly retiredAtMs: number;
  readonly lastStoredAtMs: number;
}

/** Why a worker ended. */
export type WorkerOutcome =
  | { readonly reason: 'stopped' }
  /** Another owner published a seal first, or the lease ran out: the shard must be dropped. */
  | { readonly reason: 'fenced' | 'lease-expired'; readonly error: AggregatorError }
  /** Anything else (the bus, a deleted consumer, a malformed last seal): retry while the lease holds. */
  | { readonly reason: 'failed'; readonly error: unknown };

/** The seal being filled. */
interface OpenSeal {
  readonly window: number;
  readonly startSeq: number;
  endSeq: number;
  maxReceivedAt: number;
  /** The newest store time (JetStream timestamp, ms) of its messages. */
  lastStoredAtMs: number;
  /** The last message taken: acking it acks the whole seal (AckPolicy.All). */
  last: JsMsg;
}

/** Name prefix of the consumers of shard `shard`: `agg_<shard>_`. */
export const consumerPrefix = (shard: number): string => `agg_${shard}_`;

let consumerCounter = 0;

/**
 * Seals one shard while its coordinator holds the shard's lease: resumes from the shard's last
 * published seal, (re)creates its own durable pull consumer at that point, and publishes each seal
 * (seal-window.ts decides which messages go in which seal) fenced on the previous seal's sequence.
 * Messages are acked (AckPolicy.All: the last message of a seal acks all before it) only once the
 * seal is stored. Everything runs through one serial queue, so messages and clock ticks never
 * interleave.
 */
export class ShardWorker {
  readonly done: Promise<WorkerOutcome>;
  readonly #o: ShardWorkerOptions;
  readonly #log: Logger;
  readonly #address: SealLogAddress;
  readonly #leaves = new LeafBuffer();
  #stopped = false;
  #outcome: WorkerOutcome | undefined;
  #messages: ConsumerMessages | undefined;
  #consumerName: string | undefined;
  #ticker: ReturnType<typeof setInterval> | undefined;
  #queue: Promise<void> = Promise.resolve();
  #tickQueued = false;
  #checkCaughtUp: (() => Promise<ConsumerPosition>) | undefined;
  // Position: the next seal and what the stream has shown so far.
  #nextSealNumber = 0;
  #lastSealSeq = 0;
  #lastSeenSeq = 0;
  /** The consumer sequence of the last delivery handled (taken or skipped). */
  #lastDeliverySeq = 0;
  #open: OpenSeal | undefined;
  /** The traced batches of the open seal: its span links to them. */
  #batchSpans = new TraceLinks();

  private constructor(options: ShardWorkerOptions) {
    this.#o = options;
    this.#log = options.log.child({ shard: options.shard });
    this.#address = {
      stream: streamNamesFor(options.prefix).seals,
      subject: subjectsFor(options.prefix).seals(options.shard),
      shard: options.shard,
    };
    this.done = this.#run();
  }

  /** Starts working on the shard; `done` settles when the worker ends. */
  static start(options: ShardWorkerOptions): ShardWorker {
    return new ShardWorker(options);
  }

  /** Stops at once: no further message is taken and no further seal published. Resolves with `done`. */
  async stop(): Promise<WorkerOutcome> {
    this.#finish({ reason: 'stopped' });
    return this.done;
  }

  async #run(): Promise<WorkerOutcome> {
    try {
      await this.#resume();
      const messages = this.#messages;
      if (messages !== undefined) {
        for await (const m of messages) {
          if (this.#stopped) break;
          await this.#enqueue(() => this.#onMessage(m));
        }
      }
      if (!this.#stopped) this.#finish({ reason: 'failed', error: new Error('the consumer ended') });
    } catch (error) {
      this.#finish(outcomeOf(error));
    }
    await this.#queue;
    const outcome = this.#outcome ?? { reason: 'stopped' };
    if (outcome.reason === 'stopped' && this.#consumerName !== undefined) {
      // Tidy up; a later owner would delete it anyway.
      const stream = streamNamesFor(this.#o.prefix).events;
      await this.#o.jsm.consumers.delete(stream, this.#consumerName).catch(() => {});
    }
    this.#o.metrics.pending.remove({ shard: String(this.#o.shard) });
    this.#o.metrics.inflightLeaves.remove({ shard: String(this.#o.shard) });
    this.#o.metrics.sealLag.remove({ shard: String(this.#o.shard) });
    this.#log.info('shard worker ended', {
      reason: outcome.reason,
      ...('error' in outcome ? { error: outcome.error } : {}),
    });
    return outcome;
  }

  /** Reads the last seal, and starts a fresh consumer of the shard right after it. */
  async #resume(): Promise<void> {
    const { js, jsm, shard } = this.#o;
    const last = await readLastSeal(jsm, this.#address);
    const resume = resumePointAfter(last);
    this.#nextSealNumber = resume.nextSealNumber;
    this.#lastSealSeq = resume.lastSealSeq;
    this.#lastSeenSeq = resume.resumeSeq - 1;
    if (this.#stopped) return;

    // The seal stream, not any consumer's ack floor, is the truth: drop the shard's old consumers
    // (a paused previous owner pulling from them could otherwise take messages from this one).
    const stream = streamNamesFor(this.#o.prefix).events;
    for await (const info of jsm.consumers.list(stream)) {
      if (info.name.startsWith(consumerPrefix(shard)))
        await jsm.consumers.delete(stream, info.name).catch(() => {});
    }
    consumerCounter += 1;
    const name = `${consumerPrefix(shard)}${this.#o.aggregatorId}_${consumerCounter}`;
    await jsm.consumers.add(stream, {
      durable_name: name,
      filter_subject: subjectsFor(this.#o.prefix).events(shard),
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: resume.resumeSeq,
      ack_policy: AckPolicy.All,
      ack_wait: nanos(Math.max(30_000, 10 * this.#o.intervalMs)),
      max_ack_pending: -1,
      max_deliver: -1,
    });
    this.#consumerName = name;
    const consumer = await js.consumers.get(stream, name);
    this.#checkCaughtUp = async () => {
      const info = await consumer.info();
      return { numPending: info.num_pending, deliveredConsumerSeq: info.delivered.consumer_seq };
    };
    this.#log.info('shard resumed', {
      consumer: name,
      nextSealNumber: resume.nextSealNumber,
      resumeSeq: resume.resumeSeq,
      lastSealSeq: resume.lastSealSeq,
    });
    if (this.#stopped) return;
    this.#messages = await consumer.consume({ max_messages: 256, abort_on_missing_resource: true });
    const every = Math.min(200, Math.max(20, Math.floor(this.#o.intervalMs / 10)));
    this.#ticker = setInterval(() => this.#onTick(), every);
    if (this.#stopped) this.#finish({ reason: 'stopped' });
  }

  #onTick(): void {
    if (this.#stopped || this.#tickQueued) return;
    this.#tickQueued = true;
    void this.#enqueue(async () => {
      this.#tickQueued = false;
      const decision = decideOnTick(this.#openView(), this.#o.nowMs(), this.#o.intervalMs, this.#o.graceMs);
      if (decision !== 'seal-if-caught-up' || this.#checkCaughtUp === undefined) return;
      const position = await this.#checkCaughtUp();
      this.#o.metrics.pending.set({ shard: String(this.#o.shard) }, position.numPending);
      this.#o.onStatus({ backlog: position.numPending });
      if (!this.#stopped && isCaughtUp(position, this.#lastDeliverySeq)) await this.#seal();
    });
  }

  async #onMessage(m: JsMsg): Promise<void> {
    if (this.#stopped) return;
    this.#lastDeliverySeq = Math.max(this.#lastDeliverySeq, m.info.deliverySequence);
    if (m.seq <= this.#lastSeenSeq) return; // a redelivery
    const { metrics, shard } = this.#o;
    const storedAtMs = timestampMsOf(m.timestampNanos);
    const window = windowOf(storedAtMs, this.#o.intervalMs);
    const decision = decideOnMessage(this.#openView(), window, this.#o.maxSealLeaves);
    if (decision === 'seal-then-open') await this.#seal();
    if (this.#stopped) return;
    const leaves = batchLeaves(this.#o.hasher, m.data, shard);
    for (const rejection of leaves.rejections) {
      metrics.eventsRejected.inc({ code: rejection.code });
      this.#log.warn('left out of the shard tree', { seq: m.seq, ...rejection });
    }
    this.#leaves.append(leaves.leafHashes);
    const batchSpan = spanContextOfHeaders(m.headers);
    if (batchSpan !== undefined) this.#batchSpans.add(batchSpan);
    if (decision === 'join' && this.#open !== undefined) {
      this.#open.endSeq = m.seq + 1;
      this.#open.maxReceivedAt = Math.max(this.#open.maxReceivedAt, leaves.maxReceivedAt);
      this.#open.lastStoredAtMs = Math.max(this.#open.lastStoredAtMs, storedAtMs);
      this.#open.last = m;
    } else {
      this.#open = {
        window,
        startSeq: m.seq,
        endSeq: m.seq + 1,
        maxReceivedAt: leaves.maxReceivedAt,
        lastStoredAtMs: storedAtMs,
        last: m,
      };
    }
    this.#lastSeenSeq = m.seq;
    metrics.pending.set({ shard: String(shard) }, m.info.pending);
    this.#o.onStatus({ backlog: m.info.pending });
    metrics.inflightLeaves.set({ shard: String(shard) }, this.#leaves.count);
  }

  #openView(): OpenSealView | undefined {
    return this.#open && { window: this.#open.window, leafCount: this.#leaves.count };
  }

  /** #sealOpen in a span (`aggregator.seal`) linked to the batches it covers. */
  async #seal(): Promise<void> {
    if (this.#open === undefined || this.#leaves.count === 0) return this.#sealOpen();
    const batchSpans = this.#batchSpans;
    this.#batchSpans = new TraceLinks();
    await tracedSeal(this.#o.shard, batchSpans, (seal) => this.#sealOpen(seal));
  }

  /** Seals the open seal (if it has leaves), publishes it fenced, then acks its messages. */
  async #sealOpen(trace?: SealTrace): Promise<void> {
    const open = this.#open;
    if (open === undefined) return;
    const { shard, metrics } = this.#o;
    if (this.#leaves.count === 0) {
      // Only left-out messages: no seal; the next seal starts after them.
      open.last.ack();
      this.#open = undefined;
      this.#batchSpans = new TraceLinks();
      return;
    }
    const lease = this.#o.lease();
    if (this.#o.nowMs() >= lease.expiresAtMs) {
      throw new AggregatorError(
        'LEASE_EXPIRED',
        shard,
        `the lease of shard ${shard} expired before seal ${this.#nextSealNumber}`,
      );
    }
    this.#leaves.compact();
    const { record } = sealShard(this.#o.hasher, {
      shard,
      sealNumber: this.#nextSealNumber,
      streamStart: open.startSeq,
      streamEnd: open.endSeq,
      leafHashes: this.#leaves.view(),
      maxReceivedAt: open.maxReceivedAt,
    });
    const sealBytes = encodeSeal(record);
    const map = this.#o.shardMap();
    let seq: number;
    try {
      seq = await publishSeal(this.#o.js, this.#o.jsm, this.#address, {
        sealNumber: record.sealNumber,
        sealBytes,
        payload: encodeShardSealed(sealBytes, this.#o.aggregatorId, lease.revision, map.version),
        leaseRevision: lease.revision,
        expectLastSealSeq: this.#lastSealSeq,
        deadline: lease.expiresAtMs,
        timeoutMs: 1000,
        headers: trace?.(record),
      });
    } catch (error) {
      if (error instanceof AggregatorError && error.code === 'FENCED')
        metrics.sealsFenced.inc({ shard: String(shard) });
      throw error;
    }
    this.#lastSealSeq = seq;
    this.#nextSealNumber += 1;
    open.last.ack();
    this.#open = undefined;
    this.#leaves.clear();
    metrics.sealsPublished.inc({ shard: String(shard) });
    metrics.eventsSealed.inc({ shard: String(shard) }, record.leafCount);
    const sealLagMs = Math.max(0, this.#o.nowMs() - windowEndMs(open.window, this.#o.intervalMs));
    metrics.sealLatency.observe(sealLagMs / 1000);
    metrics.sealLag.set({ shard: String(shard) }, sealLagMs / 1000);
    this.#o.onStatus({ sealLagMs });
    const entry = map.shards[shard];
    if (entry?.state === 'retired' && open.lastStoredAtMs >= entry.sinceMs) {
      this.#o.onRetiredShardSealed({
        shard,
        sealNumber: record.sealNumber,
        streamStart: record.streamStart,
        streamEnd: record.streamEnd,
        mapVersion: map.version,
        retiredAtMs: entry.sinceMs,
        lastStoredAtMs: open.lastStoredAtMs,
      });
    }
    metrics.inflightLeaves.set({ shard: String(shard) }, 0);
    this.#log.debug('seal published', {
      sealNumber: record.sealNumber,
      streamStart: record.streamStart,
      streamEnd: record.streamEnd,
      leafCount: record.leafCount,
      seq,
    });
  }

  /** Runs `work` after everything queued before it; a failure ends the worker. */
  #enqueue(work: () => Promise<void>): Promise<void> {
    const next = this.#queue.then(async () => {
      if (this.#stopped) return;
      try {
        await work();
      } catch (error) {
        this.#finish(outcomeOf(error));
      }
    });
    this.#queue = next;
    return next;
  }

  /** Records the first outcome and stops taking messages and ticks. */
  #finish(outcome: WorkerOutcome): void {
    if (this.#outcome === undefined) this.#outcome = outcome;
    this.#stopped = true;
    if (this.#ticker !== undefined) clearInterval(this.#ticker);
    void this.#messages?.close().catch(() => {});
  }
}

function outcomeOf(error: unknown): WorkerOutcome {
  if (error instanceof AggregatorError && error.code === 'FENCED') return { reason: 'fenced', error };
  if (error instanceof AggregatorError && error.code === 'LEASE_EXPIRED')
    return { reason: 'lease-expired', error };
  return { reason: 'failed', error };
}
