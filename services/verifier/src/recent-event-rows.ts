import { UUID_SIZE } from '@msi/core';
import { HASH_SIZE } from '@msi/merkle';
import type { EventRows } from './event-rows.js';
import type { CoveredRow } from './seal-apply.js';

/**
 * One EventBatch message the events pump committed: its shard's rows, in position order, packed. The
 * rows' bytes are copied into four blocks (leaf hashes, ids, canonical bytes, their offsets) and
 * made into CoveredRow objects only when a seal asks: a few long-lived objects per message instead
 * of five per event (a row object and views of three buffers, with the message they pointed into):
 * 663 bytes per event held that way against the 400 counted, now 278 held and 273 counted
 * (`pnpm bench:verifier-memory`, events of ~200 canonical bytes).
 */
interface RecentBatch {
  readonly seq: number;
  /** Its shard; -1 for a message that made no row. */
  readonly shard: number;
  readonly count: number;
  readonly positions: Int32Array;
  readonly receivedAt: Float64Array;
  /** Each row's tenant (repeats share one string). */
  readonly tenants: readonly string[];
  /** The leaf hashes, HASH_SIZE bytes each. */
  readonly leaves: Buffer;
  /** The event ids, UUID_SIZE bytes each. */
  readonly ids: Buffer;
  /** The canonical bytes, row i at [offsets[i], offsets[i + 1]). */
  readonly canonical: Buffer;
  readonly offsets: Int32Array;
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

/** What a message held here costs beyond its blocks (objects, arrays, queue slots), roughly. */
const BATCH_OVERHEAD_BYTES = 512;
/** What a row costs beyond its canonical bytes: hash, id, position, time, offset, tenant slot. */
const ROW_BYTES = HASH_SIZE + UUID_SIZE + 4 + 8 + 4 + 8;

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
    // Rows come grouped by message, in order: [from, to) is one message's rows.
    const bySeq = new Map<number, RecentBatch>();
    for (let from = 0; from < rows.seq.length; ) {
      const seq = rows.seq[from] as number;
      let to = from + 1;
      while (to < rows.seq.length && rows.seq[to] === seq) to++;
      bySeq.set(seq, packBatch(seq, rows, from, to));
      from = to;
    }
    for (const seq of seqs) {
      if (seq <= this.#through) continue; // delivered again after a restart of the consumer: held
      this.#through = seq;
      const recent = bySeq.get(seq) ?? emptyBatch(seq);
      this.#all.items.push(recent);
      if (recent.shard >= 0) {
        let queue = this.#byShard.get(recent.shard);
        if (queue === undefined) {
          queue = new BatchQueue();
          this.#byShard.set(recent.shard, queue);
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
      for (let row = 0; row < batch.count; row++) out.push(rowOf(batch, row));
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

/** Rows [from, to) of `rows` (one message's, all of one shard), copied into one RecentBatch. */
function packBatch(seq: number, rows: EventRows, from: number, to: number): RecentBatch {
  const count = to - from;
  let canonicalBytes = 0;
  for (let i = from; i < to; i++) canonicalBytes += (rows.canonical.at(i) as Uint8Array).length;
  const leaves = Buffer.allocUnsafeSlow(count * HASH_SIZE);
  const ids = Buffer.allocUnsafeSlow(count * UUID_SIZE);
  const canonical = Buffer.allocUnsafeSlow(canonicalBytes);
  const offsets = new Int32Array(count + 1);
  const positions = new Int32Array(count);
  const receivedAt = new Float64Array(count);
  const tenants: string[] = new Array(count);
  let at = 0;
  let tenant = '';
  for (let row = 0; row < count; row++) {
    const i = from + row;
    leaves.set(rows.leaf.at(i) as Uint8Array, row * HASH_SIZE);
    ids.set(rows.id.at(i) as Uint8Array, row * UUID_SIZE);
    const bytes = rows.canonical.at(i) as Uint8Array;
    canonical.set(bytes, at);
    offsets[row] = at;
    at += bytes.length;
    positions[row] = rows.pos[i] as number;
    receivedAt[row] = rows.received[i] as number;
    const rowTenant = rows.tenant[i] as string;
    if (rowTenant !== tenant) tenant = rowTenant;
    tenants[row] = tenant;
  }
  offsets[count] = at;
  return {
    seq,
    shard: rows.shard[from] as number,
    count,
    positions,
    receivedAt,
    tenants,
    leaves,
    ids,
    canonical,
    offsets,
    bytes: BATCH_OVERHEAD_BYTES + canonicalBytes + count * ROW_BYTES,
  };
}

/** A message that made no row. */
function emptyBatch(seq: number): RecentBatch {
  const none = Buffer.alloc(0);
  return {
    seq,
    shard: -1,
    count: 0,
    positions: new Int32Array(0),
    receivedAt: new Float64Array(0),
    tenants: [],
    leaves: none,
    ids: none,
    canonical: none,
    offsets: new Int32Array(1),
    bytes: BATCH_OVERHEAD_BYTES,
  };
}

/** Row `row` of `batch`, its bytes as views of the batch's blocks (never change them). */
function rowOf(batch: RecentBatch, row: number): CoveredRow {
  return {
    leafHash: batch.leaves.subarray(row * HASH_SIZE, (row + 1) * HASH_SIZE),
    receivedAt: batch.receivedAt[row] as number,
    eventId: batch.ids.subarray(row * UUID_SIZE, (row + 1) * UUID_SIZE),
    streamSeq: batch.seq,
    position: batch.positions[row] as number,
    tenant: batch.tenants[row] as string,
    canonical: batch.canonical.subarray(batch.offsets[row], batch.offsets[row + 1]),
  };
}
