import type { AggregatedEvent, AggregateTemplate } from '@msi/core';
import { writeAggregatedEvent } from '@msi/core';
import type { WasmMerkleHasher } from '@msi/hash-wasm';

/** Bytes of aggregated events gathered before they are hashed and handed to the store. */
const CHUNK_BYTES = 1 << 20;
/** Leaves per block of leaf hashes (2 MiB) and lengths: blocks are added, never grown and copied. */
const BLOCK_LEAVES = 1 << 16;

/** What an open tree hands over when it is sealed. */
export interface ClosedLeaves {
  readonly count: number;
  /** Exactly 32 × count bytes. */
  readonly leafHashes: Uint8Array;
  readonly eventLengths: Uint32Array;
}

/**
 * A local tree being filled (docs/PROOFS.md §12). Events are written into a 1 MiB chunk; a full chunk
 * is leaf-hashed in one call of the WASM kernel (hashPackedLeaves) and handed to `append` (the
 * store), then forgotten. What stays in memory per event is its leaf hash (32 B) and its length
 * (4 B), in blocks of 65,536 that are added as needed (never copied to grow): the bytes themselves go
 * to the store. Closing copies the blocks once into the arrays the sealed tree keeps.
 */
export class OpenTree {
  readonly #hasher: WasmMerkleHasher;
  readonly #append: (bytes: Uint8Array) => void;
  #chunk = new Uint8Array(CHUNK_BYTES);
  #used = 0;
  #ends: number[] = [];
  readonly #leafBlocks: Uint8Array[] = [];
  readonly #lengthBlocks: Uint32Array[] = [];
  #hashed = 0;

  /** @param append receives each chunk of whole events, in order (the store keeps the order). */
  constructor(hasher: WasmMerkleHasher, append: (bytes: Uint8Array) => void) {
    this.#hasher = hasher;
    this.#append = append;
  }

  /** Events written so far. */
  get size(): number {
    return this.#hashed + this.#ends.length;
  }

  /** Writes a validated-by-the-writer event; throws EventError for an invalid one. Returns its index. */
  addEvent(event: AggregatedEvent): number {
    let end = writeAggregatedEvent(event, this.#chunk, this.#used);
    if (end < 0) {
      this.#flush();
      end = writeAggregatedEvent(event, this.#chunk, 0);
      if (end < 0) throw new RangeError('an aggregated event larger than a chunk');
    }
    return this.#added(end);
  }

  /** Writes an event of `template` (see AggregateTemplate.write). Returns its index. */
  addFromTemplate(
    template: AggregateTemplate,
    nowMs: number,
    entropy: Uint8Array,
    entropyAt: number,
    digest: Uint8Array,
    occurredAt: number,
  ): number {
    let end = template.write(this.#chunk, this.#used, nowMs, entropy, entropyAt, digest, occurredAt);
    if (end < 0) {
      this.#flush();
      end = template.write(this.#chunk, 0, nowMs, entropy, entropyAt, digest, occurredAt);
    }
    return this.#added(end);
  }

  /** Hashes the chunk written so far and hands it to the store now (the tree stays open). */
  flushChunk(): void {
    this.#flush();
  }

  /** Hashes and hands over what is written, and returns every leaf. The tree takes no more events. */
  close(): ClosedLeaves {
    this.#flush();
    const count = this.#hashed;
    const leafHashes = new Uint8Array(32 * count);
    const eventLengths = new Uint32Array(count);
    this.#leafBlocks.forEach((block, b) => {
      const n = Math.min(BLOCK_LEAVES, count - b * BLOCK_LEAVES);
      leafHashes.set(block.subarray(0, 32 * n), 32 * b * BLOCK_LEAVES);
      eventLengths.set((this.#lengthBlocks[b] as Uint32Array).subarray(0, n), b * BLOCK_LEAVES);
    });
    this.#leafBlocks.length = 0;
    this.#lengthBlocks.length = 0;
    return { count, leafHashes, eventLengths };
  }

  #added(end: number): number {
    this.#ends.push(end);
    this.#used = end;
    return this.#hashed + this.#ends.length - 1;
  }

  #flush(): void {
    const n = this.#ends.length;
    if (n === 0) return;
    let done = 0;
    let from = 0;
    while (done < n) {
      // the chunk's events go into the current block, and the next one when it fills
      const index = this.#hashed + done;
      const block = Math.floor(index / BLOCK_LEAVES);
      const at = index % BLOCK_LEAVES;
      if (block === this.#leafBlocks.length) {
        this.#leafBlocks.push(new Uint8Array(32 * BLOCK_LEAVES));
        this.#lengthBlocks.push(new Uint32Array(BLOCK_LEAVES));
      }
      const take = Math.min(n - done, BLOCK_LEAVES - at);
      const ends = done === 0 && take === n ? this.#ends : this.#ends.slice(done, done + take);
      const start = done === 0 ? 0 : (this.#ends[done - 1] as number);
      this.#hasher.hashPackedLeaves(
        this.#chunk,
        start,
        ends,
        take,
        this.#leafBlocks[block] as Uint8Array,
        32 * at,
      );
      const lengths = this.#lengthBlocks[block] as Uint32Array;
      for (let i = 0; i < take; i++) {
        const end = this.#ends[done + i] as number;
        lengths[at + i] = end - from;
        from = end;
      }
      done += take;
    }
    this.#hashed += n;
    this.#append(this.#chunk.subarray(0, this.#used));
    this.#chunk = new Uint8Array(CHUNK_BYTES);
    this.#used = 0;
    this.#ends = [];
  }
}
