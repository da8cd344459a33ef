import { streamV1 } from '@msi/proto';
import { every, type Logger, type RunningLoop } from '@msi/service-kit';
import {
  type ConsumerMessages,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream';
import { headers, nanos } from '@nats-io/transport-node';
import type { AsyncPublisher } from './async-publisher.js';
import { ClaimKeyReader, encodeClaimBatch } from './claim-batch-codec.js';
import { type ClaimIndex, type ClaimPosition, claimIndexOf, claimSeqOf } from './claim-index.js';

/** A ClaimBatch in domain form. */
export interface ClaimBatch {
  readonly batchId: string;
  readonly shard: number;
  readonly claimUntilMs: number;
  readonly claims: readonly EventClaim[];
}

export interface EventClaim {
  readonly tenant: string;
  readonly eventId: Uint8Array;
  readonly expectedRound: number;
  readonly supersedes: ClaimPosition;
}

/** One claim read back from the stream, with its batch's fields. */
export interface StoredClaim {
  readonly batchId: string;
  readonly shard: number;
  readonly claimUntilMs: number;
  readonly expectedRound: number;
  /** When the stream stored the ClaimBatch (the NATS server's clock): its batch cannot be older. */
  readonly storedAtMs: number;
}

export interface ClaimLogOptions {
  readonly stream: string;
  readonly subject: string;
  /** The stream's max age: the dedup window + the allowed skew + clock slack. */
  readonly maxAgeMs: number;
  readonly replicas: number;
  /** How long append() and applied() wait before failing. */
  readonly timeoutMs: number;
  readonly nowMs: () => number;
  readonly log: Logger;
}

const CACHED_BATCHES = 256;

/**
 * The claims stream `<P>_CLAIMS` as ingest uses it: appends one ClaimBatch per EventBatch (pipelined
 * through the AsyncPublisher, msgID `claims-<batch id>`), follows the whole stream in order with an
 * ordered consumer and applies every ClaimBatch to the ClaimIndex, and reads a claim back by
 * position (for a resubmission). Claims published by any ingest replica reach every replica's index.
 */
export class ClaimLog {
  readonly #waiters: { seq: number; resolve: () => void }[] = [];
  readonly #cache = new Map<number, { batch: ClaimBatch; storedAtMs: number }>();
  #applied = 0;
  #caughtUp: (() => void) | undefined;
  #loop: RunningLoop | undefined;
  /** Expires the index (and lets it write slices out) when no claims arrive to do it. */
  #ticker: RunningLoop | undefined;
  #messages: ConsumerMessages | undefined;

  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #publisher: AsyncPublisher;
  readonly #index: ClaimIndex;
  /** Reads each claims message into arrays it reuses (every replica reads every claim). */
  readonly #keys = new ClaimKeyReader();
  readonly #options: ClaimLogOptions;

  constructor(
    js: JetStreamClient,
    jsm: JetStreamManager,
    publisher: AsyncPublisher,
    index: ClaimIndex,
    options: ClaimLogOptions,
  ) {
    this.#js = js;
    this.#jsm = jsm;
    this.#publisher = publisher;
    this.#index = index;
    this.#options = options;
  }

  /** Creates the stream if needed, or brings its max age and replicas to the options'. */
  async ensureStream(): Promise<void> {
    const { stream, subject, maxAgeMs, replicas } = this.#options;
    const config = {
      name: stream,
      subjects: [subject],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      num_replicas: replicas,
      max_age: nanos(maxAgeMs),
      duplicate_window: nanos(Math.min(maxAgeMs, 5 * 60_000)),
      discard: DiscardPolicy.Old,
      allow_direct: true,
    };
    try {
      await this.#jsm.streams.add(config);
    } catch (error: unknown) {
      if (!(error instanceof JetStreamApiError)) throw error;
      const existing = await this.#jsm.streams.info(stream);
      if (existing.config.max_age === config.max_age && existing.config.num_replicas === replicas) return;
      await this.#jsm.streams.update(stream, { ...existing.config, ...config });
    }
  }

  /** Starts following the stream; resolves once everything stored at the call is applied. */
  async start(): Promise<void> {
    const info = await this.#jsm.streams.info(this.#options.stream);
    const caughtUp =
      info.state.messages === 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            this.#caughtUp = resolve;
          });
    this.#loop ??= every({
      intervalMs: 1000,
      run: (stopped) => this.#follow(stopped),
      onError: (error) => this.#options.log.warn('claims follower restarts', { error }),
    });
    this.#ticker ??= every({
      intervalMs: 1000,
      waitFirst: true,
      run: async () => this.#index.expire(this.#options.nowMs()),
      onError: () => undefined,
    });
    // Messages that expire (max age) before they are delivered never report "nothing pending": a
    // stream found empty, or applied to its last message, is caught up too.
    const emptied = every({
      intervalMs: 1000,
      waitFirst: true,
      run: async () => {
        const now = await this.#jsm.streams.info(this.#options.stream);
        if (now.state.messages === 0 || now.state.last_seq <= this.#applied) this.#caughtUp?.();
      },
      onError: () => undefined,
    });
    await caughtUp.finally(() => emptied.stop());
  }

  /**
   * After a reconnect: a stream that came back with fewer messages than were applied (a server that
   * lost its store) is a new stream, whose positions mean other claims; start over from it.
   */
  async resync(): Promise<void> {
    const info = await this.#jsm.streams.info(this.#options.stream);
    if (info.state.last_seq >= this.#applied) return;
    this.#options.log.warn('the claims stream lost messages: rebuilding the index from it', {
      applied: this.#applied,
      lastSeq: info.state.last_seq,
    });
    this.#index.clear();
    this.#cache.clear();
    this.#applied = 0;
    await this.#messages?.close();
  }

  stop(): void {
    void this.#loop?.stop();
    void this.#ticker?.stop();
    void this.#messages?.close().catch(() => undefined);
  }

  /** Publishes a ClaimBatch; resolves with its stream sequence. Throws AsyncPublishError. */
  async append(batch: ClaimBatch): Promise<number> {
    const h = headers();
    h.set('Nats-Msg-Id', `claims-${batch.batchId}`);
    const ack = await this.#publisher.publish(this.#options.subject, encodeClaimBatch(batch), h);
    this.#remember(ack.seq, batch, this.#options.nowMs());
    return ack.seq;
  }

  /** Resolves once the index has applied the stream up to `seq`; rejects after the timeout. */
  applied(seq: number, timeoutMs = this.#options.timeoutMs): Promise<void> {
    if (this.#applied >= seq) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = { seq, resolve };
      this.#waiters.push(waiter);
      if (!Number.isFinite(timeoutMs)) return;
      const timer = setTimeout(() => {
        const at = this.#waiters.indexOf(waiter);
        if (at < 0) return;
        this.#waiters.splice(at, 1);
        reject(new Error(`the claims stream was not applied up to ${seq} within ${timeoutMs} ms`));
      }, timeoutMs);
      waiter.resolve = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** The claim at `position`, read back from the stream. Throws when it is not there. */
  async read(position: ClaimPosition): Promise<StoredClaim> {
    const seq = claimSeqOf(position);
    let cached = this.#cache.get(seq);
    if (cached === undefined) {
      const stored = await this.#jsm.streams.getMessage(this.#options.stream, { seq });
      if (stored === null) throw new Error(`claims message ${seq} is not in ${this.#options.stream}`);
      cached = this.#remember(
        seq,
        fromMessage(streamV1.ClaimBatch.decode(stored.data)),
        stored.time.getTime(),
      );
    }
    const claim = cached.batch.claims[claimIndexOf(position)];
    if (claim === undefined) throw new Error(`claims message ${seq} has no claim ${claimIndexOf(position)}`);
    return {
      batchId: cached.batch.batchId,
      shard: cached.batch.shard,
      claimUntilMs: cached.batch.claimUntilMs,
      expectedRound: claim.expectedRound,
      storedAtMs: cached.storedAtMs,
    };
  }

  #remember(seq: number, batch: ClaimBatch, storedAtMs: number) {
    const entry = { batch, storedAtMs };
    this.#cache.set(seq, entry);
    if (this.#cache.size > CACHED_BATCHES) {
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
    return entry;
  }

  /** Applies the stream from the first message not applied, until the consumer ends. */
  async #follow(stopped: AbortSignal): Promise<void> {
    const consumer = await this.#js.consumers.get(
      this.#options.stream,
      this.#applied === 0
        ? { deliver_policy: DeliverPolicy.All }
        : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: this.#applied + 1 },
    );
    this.#messages = await consumer.consume({ max_messages: 256 });
    if (stopped.aborted) await this.#messages.close();
    for await (const message of this.#messages) {
      if (message.seq > this.#applied) this.#apply(message.seq, message.data);
      if (message.info.pending === 0) this.#caughtUp?.();
    }
  }

  #apply(seq: number, data: Uint8Array): void {
    try {
      this.#keys.read(data);
      this.#index.applyKeys(seq, this.#keys);
    } catch (error: unknown) {
      // Only ingest writes the stream (deploy/nats permissions): a message it cannot read claims nothing.
      this.#options.log.error('ignoring a claims message that does not decode', { seq, error });
    }
    this.#applied = seq;
    this.#index.expire(this.#options.nowMs());
    if (this.#waiters.length === 0) return;
    for (let i = this.#waiters.length - 1; i >= 0; i--) {
      const waiter = this.#waiters[i];
      if (waiter !== undefined && waiter.seq <= seq) {
        this.#waiters.splice(i, 1);
        waiter.resolve();
      }
    }
  }
}

/** A ClaimBatch read back with ts-proto (rare: a resubmission), in domain form. */
function fromMessage(message: streamV1.ClaimBatch): ClaimBatch {
  if (message.version !== 1) throw new Error(`ClaimBatch version ${message.version}, want 1`);
  return {
    batchId: message.batchId,
    shard: message.shard,
    claimUntilMs: Number(message.claimUntilMs),
    claims: message.claims.map((claim) => ({
      tenant: claim.tenant,
      eventId: claim.eventId,
      expectedRound: Number(claim.expectedRound),
      supersedes: Number(claim.supersedes),
    })),
  };
}
