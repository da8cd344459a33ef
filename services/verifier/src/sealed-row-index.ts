import { UUID_SIZE } from '@msi/core';
import type { EventRow } from './receipt-store.js';

/** A row the projection just sealed: its event id and its row, anchored (seal and leaf index set). */
export interface SealedRowInput {
  readonly eventId: Uint8Array;
  readonly row: EventRow;
}

/**
 * One group of sealed rows, packed: the bytes of every row in a few blocks and typed arrays, no
 * object per row (a row is made when a lookup finds it).
 */
interface SealedBlock {
  readonly count: number;
  /** The event ids, UUID_SIZE bytes each. */
  readonly ids: Buffer;
  /** Each row's tenant (repeats share one string). */
  readonly tenants: readonly string[];
  /**
   * The memory the rows' canonical bytes are in, not copied (the projector's recent rows' blocks,
   * which this keeps alive as long as it keeps a row of them): row i's bytes are
   * sources[sourceOf[i]] at [starts[i], starts[i] + lengths[i]).
   */
  readonly sources: readonly Uint8Array[];
  readonly sourceOf: Int32Array;
  readonly starts: Int32Array;
  readonly lengths: Int32Array;
  readonly streamSeqs: Float64Array;
  readonly positions: Int32Array;
  readonly sealSeqs: Float64Array;
  readonly leafIndexes: Float64Array;
  readonly bytes: number;
}

/** Rows per block at most: a table entry packs a row's index below this. */
const ROWS_PER_BLOCK = 2 ** 20;
/** An empty table slot. */
const EMPTY = -1;
/** What a block costs beyond its rows (objects, arrays' headers), roughly. */
const BLOCK_OVERHEAD_BYTES = 512;
/**
 * What a row costs beyond its canonical bytes: id, source, start, length, stream seq, position, seal,
 * leaf, tenant slot, and its share of the table (12-byte slots, a reference and a hash, at a load
 * between 1/4 and 1/2: 24–48 bytes, 36 counted). Its canonical bytes are counted though they are
 * referenced, not copied: memory the projector's recent rows also hold while both keep the row, and
 * this alone after.
 */
const ROW_BYTES = UUID_SIZE + 4 + 4 + 4 + 8 + 4 + 8 + 8 + 8 + 36;
/** The table doubles past this share of its slots taken. */
const MAX_LOAD = 0.5;

/**
 * The hot index of GetReceipt: the event rows the projection sealed last, found by (tenant, event id),
 * within a byte budget (the oldest groups are dropped first). Each group the projection hands over is
 * packed into one block (ids copied, canonical bytes referenced in the buffers they are in: the
 * immutable blocks of the projector's recent rows, or rows read from Postgres); the index over them
 * is an open-addressing table of numbers (block number × 2^20 + row), so that keeping a row costs no
 * object, no key string and no map entry — the ByteLru entries it replaces cost the projector ~5 µs
 * per event (in a CPU profile at 17,000 events/s) and their garbage a share of its GC.
 *
 * Dropping a block takes its rows out of the table one by one (backward-shift deletion, as linear
 * probing allows without tombstones), so the table holds live rows only and never needs a rebuild
 * that would stop the event loop for every row kept; it only grows (doubling past half full, while
 * the rows kept grow).
 * Probing is linear from a hash of the id's four words keyed by a per-index random seed (ids come
 * from clients). Of several rows of one (tenant, id), the earliest on the events stream is kept, as
 * findEvents prefers it.
 */
export class SealedRowIndex {
  readonly #budget: number;
  readonly #seed: number;
  /** Live blocks, oldest first; block number n is at #blocks[n − #first]. */
  #blocks: SealedBlock[] = [];
  #first = 0;
  #table: Float64Array;
  /** Per slot, the full hash of its row's key (its home is hash & mask): probes and moves need no block. */
  #hashes: Uint32Array;
  #mask: number;
  /** Rows in the table (a row that lost to an earlier one of its key is kept in its block only). */
  #entries = 0;
  #rows = 0;
  #bytes = 0;

  /** `budget`: the most bytes of rows kept (0 keeps nothing). */
  constructor(budget: number, seed = randomSeed()) {
    if (!Number.isSafeInteger(budget) || budget < 0)
      throw new RangeError(`budget: ${budget} is not a byte count`);
    this.#budget = budget;
    this.#seed = seed;
    this.#table = new Float64Array(1024).fill(EMPTY);
    this.#hashes = new Uint32Array(1024);
    this.#mask = 1023;
  }

  /** Bytes held, as counted against the budget (the table's share of each row at its mean load). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Rows held. */
  get size(): number {
    return this.#rows;
  }

  /** Keeps `rows` (anchored rows of their own tenant), dropping the oldest groups beyond the budget. */
  add(rows: readonly SealedRowInput[]): void {
    if (rows.length === 0 || this.#budget === 0) return;
    for (let from = 0; from < rows.length; from += ROWS_PER_BLOCK - 1)
      this.#addBlock(packBlock(rows.slice(from, from + ROWS_PER_BLOCK - 1)));
  }

  /** The row `tenant` sees under `eventId` when kept (a new object with its own canonical bytes). */
  find(eventId: Uint8Array, tenant: string): EventRow | undefined {
    if (eventId.length !== UUID_SIZE || this.#entries === 0) return undefined;
    const slot = this.#probe(eventId, 0, this.#hash(eventId, 0), tenant);
    if (slot < 0) return undefined;
    const ref = this.#table[slot] as number;
    const block = this.#blockOf(ref);
    const row = ref % ROWS_PER_BLOCK;
    return {
      streamSeq: block.streamSeqs[row] as number,
      position: block.positions[row] as number,
      tenant: block.tenants[row] as string,
      canonical: (block.sources[block.sourceOf[row] as number] as Uint8Array).slice(
        block.starts[row],
        (block.starts[row] as number) + (block.lengths[row] as number),
      ),
      sealSeq: block.sealSeqs[row] as number,
      leafIndex: block.leafIndexes[row] as number,
    };
  }

  #addBlock(block: SealedBlock): void {
    if (block.bytes > this.#budget) return;
    while (this.#blocks.length > 0 && this.#bytes + block.bytes > this.#budget) this.#dropOldest();
    const number = this.#first + this.#blocks.length;
    this.#blocks.push(block);
    this.#bytes += block.bytes;
    this.#rows += block.count;
    if ((this.#entries + block.count) / this.#table.length > MAX_LOAD)
      this.#grow(this.#entries + block.count);
    for (let row = 0; row < block.count; row++) this.#insert(block, number, row);
  }

  #dropOldest(): void {
    const oldest = this.#blocks[0];
    if (oldest === undefined) return;
    for (let row = 0; row < oldest.count; row++)
      this.#delete(oldest, this.#first * ROWS_PER_BLOCK + row, row);
    this.#blocks.shift();
    this.#first += 1;
    this.#bytes -= oldest.bytes;
    this.#rows -= oldest.count;
  }

  /** A table of at least twice `entries` slots, holding the rows this one holds. */
  #grow(entries: number): void {
    let slots = this.#table.length;
    while (entries / slots > MAX_LOAD) slots *= 2;
    const [oldTable, oldHashes] = [this.#table, this.#hashes];
    this.#table = new Float64Array(slots).fill(EMPTY);
    this.#hashes = new Uint32Array(slots);
    this.#mask = slots - 1;
    oldTable.forEach((ref, i) => {
      if (ref === EMPTY) return;
      const hash = oldHashes[i] as number;
      let slot = hash & this.#mask;
      while (this.#table[slot] !== EMPTY) slot = (slot + 1) & this.#mask;
      this.#table[slot] = ref;
      this.#hashes[slot] = hash;
    });
  }

  /** Sets row `row` of block `number` unless an earlier row of its (tenant, id) is kept. */
  #insert(block: SealedBlock, number: number, row: number): void {
    const tenant = block.tenants[row] as string;
    const at = row * UUID_SIZE;
    const ref = number * ROWS_PER_BLOCK + row;
    const hash = this.#hash(block.ids, at);
    const keptSlot = this.#probe(block.ids, at, hash, tenant);
    if (keptSlot >= 0) {
      const found = this.#table[keptSlot] as number;
      const kept = this.#blockOf(found);
      const keptRow = found % ROWS_PER_BLOCK;
      const keptSeq = kept.streamSeqs[keptRow] as number;
      const seq = block.streamSeqs[row] as number;
      const earlier =
        keptSeq < seq ||
        (keptSeq === seq && (kept.positions[keptRow] as number) <= (block.positions[row] as number));
      if (!earlier) this.#table[keptSlot] = ref;
      return;
    }
    // Not kept: the probe ended on the empty slot the row goes in (the table has no tombstones).
    const slot = ~keptSlot;
    this.#table[slot] = ref;
    this.#hashes[slot] = hash;
    this.#entries += 1;
  }

  /** Takes `ref` (row `row` of `block`) out of the table if it is there, closing the gap behind it. */
  #delete(block: SealedBlock, ref: number, row: number): void {
    const table = this.#table;
    const hashes = this.#hashes;
    const mask = this.#mask;
    let hole = this.#hash(block.ids, row * UUID_SIZE) & mask;
    for (;;) {
      const at = table[hole] as number;
      if (at === EMPTY) return;
      if (at === ref) break;
      hole = (hole + 1) & mask;
    }
    this.#entries -= 1;
    // Each later entry of the run moves into the hole unless its home lies cyclically in (hole, j].
    for (let j = (hole + 1) & mask; ; j = (j + 1) & mask) {
      const next = table[j] as number;
      if (next === EMPTY) break;
      const home = (hashes[j] as number) & mask;
      const stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (stays) continue;
      table[hole] = next;
      hashes[hole] = hashes[j] as number;
      hole = j;
    }
    table[hole] = EMPTY;
  }

  /**
   * The slot of the row of (tenant, the id at ids[at…], whose hash is `hash`); when none is kept, the
   * bitwise NOT (< 0) of the empty slot that ended the probe, where such a row would go.
   */
  #probe(ids: Uint8Array, at: number, hash: number, tenant: string): number {
    for (let slot = hash & this.#mask; ; slot = (slot + 1) & this.#mask) {
      const ref = this.#table[slot] as number;
      if (ref === EMPTY) return ~slot;
      if (this.#hashes[slot] === hash && this.#matches(ref, ids, at, tenant)) return slot;
    }
  }

  #blockOf(ref: number): SealedBlock {
    return this.#blocks[Math.floor(ref / ROWS_PER_BLOCK) - this.#first] as SealedBlock;
  }

  #matches(ref: number, ids: Uint8Array, at: number, tenant: string): boolean {
    const block = this.#blockOf(ref);
    const row = ref % ROWS_PER_BLOCK;
    const kept = block.ids;
    const from = row * UUID_SIZE;
    for (let i = 0; i < UUID_SIZE; i++) if (kept[from + i] !== ids[at + i]) return false;
    return block.tenants[row] === tenant;
  }

  /** The hash of the id at ids[at…] (its home slot is hash & mask): its four words mixed with the seed. */
  #hash(ids: Uint8Array, at: number): number {
    let h = this.#seed;
    for (let w = 0; w < UUID_SIZE; w += 4) {
      const word =
        ((ids[at + w] as number) << 24) |
        ((ids[at + w + 1] as number) << 16) |
        ((ids[at + w + 2] as number) << 8) |
        (ids[at + w + 3] as number);
      h = Math.imul(h ^ word, 0x85ebca6b);
      h ^= h >>> 13;
    }
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h >>> 0;
  }
}

/**
 * `rows` packed into one block: ids copied, canonical bytes referenced where they are (a few distinct
 * buffers per group: the blocks of the messages it covers).
 */
function packBlock(rows: readonly SealedRowInput[]): SealedBlock {
  const count = rows.length;
  const ids = Buffer.allocUnsafe(count * UUID_SIZE);
  const sources: Uint8Array[] = [];
  const sourceNumbers = new Map<ArrayBufferLike, number>();
  const sourceOf = new Int32Array(count);
  const starts = new Int32Array(count);
  const lengths = new Int32Array(count);
  const streamSeqs = new Float64Array(count);
  const positions = new Int32Array(count);
  const sealSeqs = new Float64Array(count);
  const leafIndexes = new Float64Array(count);
  const tenants: string[] = new Array(count);
  let canonicalBytes = 0;
  let lastBuffer: ArrayBufferLike | undefined;
  let lastSource = -1;
  rows.forEach(({ eventId, row }, i) => {
    if (eventId.length !== UUID_SIZE)
      throw new RangeError(`event id of ${eventId.length} bytes, not ${UUID_SIZE}`);
    if (row.sealSeq === undefined || row.leafIndex === undefined)
      throw new RangeError(`row ${row.streamSeq}/${row.position} is not anchored`);
    ids.set(eventId, i * UUID_SIZE);
    const { buffer, byteOffset, byteLength } = row.canonical;
    if (buffer !== lastBuffer) {
      let source = sourceNumbers.get(buffer);
      if (source === undefined) {
        source = sources.length;
        sources.push(new Uint8Array(buffer));
        sourceNumbers.set(buffer, source);
      }
      lastBuffer = buffer;
      lastSource = source;
    }
    sourceOf[i] = lastSource;
    starts[i] = byteOffset;
    lengths[i] = byteLength;
    canonicalBytes += byteLength;
    streamSeqs[i] = row.streamSeq;
    positions[i] = row.position;
    sealSeqs[i] = row.sealSeq;
    leafIndexes[i] = row.leafIndex;
    tenants[i] = row.tenant;
  });
  return {
    count,
    ids,
    tenants,
    sources,
    sourceOf,
    starts,
    lengths,
    streamSeqs,
    positions,
    sealSeqs,
    leafIndexes,
    bytes: BLOCK_OVERHEAD_BYTES + canonicalBytes + count * ROW_BYTES,
  };
}

function randomSeed(): number {
  return globalThis.crypto.getRandomValues(new Uint32Array(1))[0] ?? 0x9e3779b9;
}
