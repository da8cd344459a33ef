import { TraceLinks } from '@msi/service-kit';

/** A batch ready to claim and publish: the JetStream msgID is `batchId`; nothing starts after `deadlineMs`. */
export interface SealedBatch<Item> {
  readonly batchId: string;
  readonly shard: number;
  readonly items: readonly Item[];
  readonly deadlineMs: number;
  /** The spans of the calls whose events it holds (its publish continues the first one's trace). */
  readonly contributors?: TraceLinks;
}

export interface ShardBatcherOptions<Item, Outcome> {
  readonly shard: number;
  readonly maxItems: number;
  readonly maxBytes: number;
  readonly lingerMs: number;
  /** A batch must be out at most this long after it opened (the claim window). */
  readonly claimWindowMs: number;
  readonly bytesOf: (item: Item) => number;
  readonly nextBatchId: () => string;
  /** Claims and publishes one batch; its outcome goes to every slot. Must not reject. */
  readonly publish: (batch: SealedBatch<Item>) => Promise<Outcome>;
  readonly nowMs: () => number;
}

/** An item's place in a batch. */
export interface BatchSlot<Outcome> {
  readonly batchId: string;
  /** The item's index in the batch. */
  readonly index: number;
  /** Settles when the batch was claimed and published (or could not be). */
  readonly outcome: Promise<Outcome>;
}

class Batch<Item, Outcome> {
  readonly items: Item[] = [];
  bytes = 0;
  sealed = false;
  timer: NodeJS.Timeout | undefined;
  readonly contributors = new TraceLinks();
  readonly outcome: Promise<Outcome>;
  settle!: (outcome: Outcome) => void;

  constructor(
    readonly batchId: string,
    readonly deadlineMs: number,
  ) {
    this.outcome = new Promise((resolve) => {
      this.settle = resolve;
    });
  }
}

/**
 * Accumulates the events of one shard from concurrent requests into batches. The batch is sealed
 * when full (items or bytes), when the linger expires, or when a request that brought many events
 * is done adding, and handed to `publish` at once.
 */
export class ShardBatcher<Item, Outcome> {
  #current: Batch<Item, Outcome> | undefined;

  readonly #options: ShardBatcherOptions<Item, Outcome>;

  constructor(options: ShardBatcherOptions<Item, Outcome>) {
    this.#options = options;
  }

  /** Adds an item to the open batch (opening one if needed). */
  add(item: Item): BatchSlot<Outcome> {
    const batch = this.#openBatch();
    const index = batch.items.length;
    batch.items.push(item);
    batch.bytes += this.#options.bytesOf(item);
    batch.contributors.addActive();
    if (batch.items.length >= this.#options.maxItems || batch.bytes >= this.#options.maxBytes)
      this.#seal(batch);
    return { batchId: batch.batchId, index, outcome: batch.outcome };
  }

  /** Seals the open batch now if it holds at least `minItems` (a large request need not linger). */
  sealIfAtLeast(minItems: number): void {
    if (this.#current !== undefined && this.#current.items.length >= minItems) this.#seal(this.#current);
  }

  /** Seals the open batch, whatever it holds (shutdown). */
  flush(): void {
    if (this.#current !== undefined) this.#seal(this.#current);
  }

  #openBatch(): Batch<Item, Outcome> {
    if (this.#current !== undefined) return this.#current;
    const batch = new Batch<Item, Outcome>(
      this.#options.nextBatchId(),
      this.#options.nowMs() + this.#options.claimWindowMs,
    );
    batch.timer = setTimeout(() => this.#seal(batch), this.#options.lingerMs);
    this.#current = batch;
    return batch;
  }

  #seal(batch: Batch<Item, Outcome>): void {
    if (batch.sealed) return;
    batch.sealed = true;
    clearTimeout(batch.timer);
    if (this.#current === batch) this.#current = undefined;
    const sealed = {
      batchId: batch.batchId,
      shard: this.#options.shard,
      items: batch.items,
      deadlineMs: batch.deadlineMs,
      contributors: batch.contributors,
    };
    void this.#options.publish(sealed).then(batch.settle);
  }
}
