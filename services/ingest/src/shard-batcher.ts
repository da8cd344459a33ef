import { TraceLinks } from '@msi/service-kit';

/** A batch ready to publish: the JetStream msgID is `batchId`; no attempt may start after `deadlineMs`. */
export interface SealedBatch {
  readonly batchId: string;
  readonly shard: number;
  readonly events: readonly Uint8Array[];
  readonly deadlineMs: number;
  /** The spans of the calls whose events it holds (its publish continues the first one's trace). */
  readonly contributors?: TraceLinks;
}

export type BatchOutcome = { readonly ok: true } | { readonly ok: false; readonly error: unknown };

export interface ShardBatcherOptions {
  readonly shard: number;
  readonly maxEvents: number;
  readonly maxBytes: number;
  readonly lingerMs: number;
  /** A batch's publish must not start later than this after the batch opened (the claim window). */
  readonly claimWindowMs: number;
  readonly nextBatchId: () => string;
  /** Publishes one batch; resolves once JetStream acknowledged it, rejects if it could not. */
  readonly publish: (batch: SealedBatch) => Promise<void>;
  readonly nowMs: () => number;
}

/** An event's place in a batch, reserved before its id is claimed. */
export interface BatchSlot {
  readonly batchId: string;
  /** The batch is never published after this instant (ms): the claim must last at least this long. */
  readonly deadlineMs: number;
  /** The claim succeeded: the event goes out with the batch. */
  confirm(): void;
  /** The claim failed or the id was taken: the event stays out of the batch. */
  withdraw(): void;
  /** Settles when the batch was published (or could not be); only meaningful after confirm(). */
  readonly published: Promise<BatchOutcome>;
}

class Batch {
  readonly events: (Uint8Array | undefined)[] = [];
  bytes = 0;
  unresolved = 0;
  sealed = false;
  started = false;
  timer: NodeJS.Timeout | undefined;
  readonly contributors = new TraceLinks();
  readonly published: Promise<BatchOutcome>;
  settle!: (outcome: BatchOutcome) => void;

  constructor(
    readonly batchId: string,
    readonly deadlineMs: number,
  ) {
    this.published = new Promise((resolve) => {
      this.settle = resolve;
    });
  }
}

/**
 * Accumulates the events of one shard from concurrent requests into EventBatches. An event takes a
 * slot (and learns its batch id) before its id is claimed; the batch is sealed when full (events or
 * bytes), when the linger expires, or when a request that brought many events is done adding; it is
 * published once sealed and every slot was confirmed or withdrawn, with withdrawn slots left out.
 */
export class ShardBatcher {
  #current: Batch | undefined;

  constructor(private readonly options: ShardBatcherOptions) {}

  /** Reserves a slot for canonical event bytes in the open batch (opening one if needed). */
  add(canonical: Uint8Array): BatchSlot {
    const batch = this.#openBatch();
    const index = batch.events.length;
    batch.events.push(canonical);
    batch.bytes += canonical.length;
    batch.unresolved += 1;
    batch.contributors.addActive();
    if (batch.events.length >= this.options.maxEvents || batch.bytes >= this.options.maxBytes)
      this.#seal(batch);
    let resolved = false;
    const resolve = (keep: boolean) => {
      if (resolved) return;
      resolved = true;
      if (!keep) batch.events[index] = undefined;
      batch.unresolved -= 1;
      this.#maybePublish(batch);
    };
    return {
      batchId: batch.batchId,
      deadlineMs: batch.deadlineMs,
      confirm: () => resolve(true),
      withdraw: () => resolve(false),
      published: batch.published,
    };
  }

  /** Seals the open batch now if it holds at least `minEvents` (a large request need not linger). */
  sealIfAtLeast(minEvents: number): void {
    if (this.#current !== undefined && this.#current.events.length >= minEvents) this.#seal(this.#current);
  }

  /** Seals the open batch, whatever it holds (shutdown). */
  flush(): void {
    if (this.#current !== undefined) this.#seal(this.#current);
  }

  #openBatch(): Batch {
    if (this.#current !== undefined) return this.#current;
    const batch = new Batch(this.options.nextBatchId(), this.options.nowMs() + this.options.claimWindowMs);
    batch.timer = setTimeout(() => this.#seal(batch), this.options.lingerMs);
    this.#current = batch;
    return batch;
  }

  #seal(batch: Batch): void {
    if (batch.sealed) return;
    batch.sealed = true;
    clearTimeout(batch.timer);
    if (this.#current === batch) this.#current = undefined;
    this.#maybePublish(batch);
  }

  #maybePublish(batch: Batch): void {
    if (!batch.sealed || batch.unresolved > 0 || batch.started) return;
    batch.started = true;
    const events = batch.events.filter((event): event is Uint8Array => event !== undefined);
    if (events.length === 0) {
      batch.settle({ ok: true });
      return;
    }
    const sealed = {
      batchId: batch.batchId,
      shard: this.options.shard,
      events,
      deadlineMs: batch.deadlineMs,
      contributors: batch.contributors,
    };
    this.options.publish(sealed).then(
      () => batch.settle({ ok: true }),
      (error: unknown) => batch.settle({ ok: false, error }),
    );
  }
}
