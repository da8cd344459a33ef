import type { EventRows } from './event-rows.js';
import type { CoveredRow } from './seal-apply.js';

/** One EventBatch message the events pump committed: its shard's rows, in position order. */
interface RecentBatch {
  readonly seq: number;
  /** Its shard; -1 for a message that made no row. */
  readonly shard: number;
  readonly rows: readonly CoveredRow[];
  readonly bytes: number;
}

/** A queue read from its head (an index, so that taking the oldest costs no copy). */
class BatchQueue {
  items: RecentBatch[] = [];
  head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  shift(): RecentBatch | undefined {
    const item = this.items[this.head];
    if (item === undefined) return undefined;
    this.head += 1;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}

/** Bytes a row costs beyond its canonical bytes (object, id, leaf hash, strings), roughly. */
const ROW_OVERHEAD_BYTES = 200;

/**
 * The event rows the projection committed last, per EventBatch message, kept in memory within a byte
 * budget: a seal that arrives soon after its events (the usual case: the aggregator seals each round)
 * is checked against them instead of reading the same rows back from Postgres (`coveredEvents`).
 * Every message the events pump committed from `floor` on is held (with no rows when it carried
 * none), so a seal's range at or above the floor and at or below the last message recorded is answered
 * whole; any other range is not answered at all, and is read from the database.
 */
export class RecentEventRows {
  readonly #budgetBytes: number;
  readonly #all = new BatchQueue();
  readonly #byShard = new Map<number, BatchQueue>();
  /** Every message applied from here on is held; none before the first group. */
  #floor = Number.POSITIVE_INFINITY;
  /** The last message recorded. */
  #through = 0;
  #bytes = 0;

  constructor(budgetBytes: number) {
    this.#budgetBytes = budgetBytes;
  }

  /** Bytes held (canonical bytes plus an estimate per row). */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Records a committed group of the events pump: the sequence numbers of all its messages, in order
   * (those that carried no rows too), and the rows they made.
   */
  record(seqs: readonly number[], rows: EventRows): void {
    const first = seqs[0];
    if (first === undefined) return;
    if (this.#floor === Number.POSITIVE_INFINITY) this.#floor = first;
    const bySeq = new Map<number, { shard: number; rows: CoveredRow[]; bytes: number }>();
    for (let i = 0; i < rows.seq.length; i++) {
      const seq = rows.seq[i] as number;
      const canonical = rows.canonical.at(i) as Uint8Array;
      let batch = bySeq.get(seq);
      if (batch === undefined) {
        batch = { shard: rows.shard[i] as number, rows: [], bytes: 0 };
        bySeq.set(seq, batch);
      }
      batch.rows.push({
        leafHash: rows.leaf.at(i) as Uint8Array,
        receivedAt: rows.received[i] as number,
        eventId: rows.id.at(i) as Uint8Array,
        streamSeq: seq,
        position: rows.pos[i] as number,
        tenant: rows.tenant[i] as string,
        canonical,
      });
      batch.bytes += canonical.length + ROW_OVERHEAD_BYTES;
    }
    for (const seq of seqs) {
      if (seq <= this.#through) continue; // delivered again after a restart of the consumer: held
      this.#through = seq;
      const batch = bySeq.get(seq);
      const recent: RecentBatch = {
        seq,
        shard: batch?.shard ?? -1,
        rows: batch?.rows ?? [],
        bytes: batch?.bytes ?? 0,
      };
      this.#all.items.push(recent);
      if (batch !== undefined) {
        let queue = this.#byShard.get(batch.shard);
        if (queue === undefined) {
          queue = new BatchQueue();
          this.#byShard.set(batch.shard, queue);
        }
        queue.items.push(recent);
      }
      this.#bytes += recent.bytes;
    }
    this.#evict();
  }

  /** The rows of a seal's range in stream then position order, when all of them are held. */
  covered(seal: {
    readonly shard: number;
    readonly streamStart: number;
    readonly streamEnd: number;
  }): CoveredRow[] | undefined {
    if (seal.streamStart < this.#floor || seal.streamEnd - 1 > this.#through) return undefined;
    const queue = this.#byShard.get(seal.shard);
    const out: CoveredRow[] = [];
    if (queue === undefined) return out;
    // The first batch at or after the range's start (batches are in sequence order).
    let low = queue.head;
    let high = queue.items.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((queue.items[mid] as RecentBatch).seq < seal.streamStart) low = mid + 1;
      else high = mid;
    }
    for (let i = low; i < queue.items.length; i++) {
      const batch = queue.items[i] as RecentBatch;
      if (batch.seq >= seal.streamEnd) break;
      out.push(...batch.rows);
    }
    return out;
  }

  #evict(): void {
    while (this.#bytes > this.#budgetBytes && this.#all.length > 0) {
      const oldest = this.#all.shift() as RecentBatch;
      this.#bytes -= oldest.bytes;
      this.#floor = oldest.seq + 1;
      const shardQueue = this.#byShard.get(oldest.shard);
      if (shardQueue !== undefined && shardQueue.items[shardQueue.head] === oldest) shardQueue.shift();
    }
  }
}
