import type { AggregatedEvent, AggregateTemplate } from '@msi/core';
import { writeAggregatedEvent } from '@msi/core';
import type { WasmMerkleHasher } from '@msi/hash-wasm';

/** Bytes of aggregated events gathered before they are hashed and handed to the store. */
const CHUNK_BYTES = 1 << 20;

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
 * (4 B), in arrays that grow by 1.25×: the bytes themselves go to the store.
 */
export class OpenTree {
  readonly #hasher: WasmMerkleHasher;
  readonly #append: (bytes: Uint8Array) => void;
  #chunk = new Uint8Array(CHUNK_BYTES);
  #used = 0;
  #ends: number[] = [];
  #leaves = new Uint8Array(32 * 1024);
  #lengths = new Uint32Array(1024);
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

  /** Hashes and hands over what is written, and returns every leaf. The tree takes no more events. */
  close(): ClosedLeaves {
    this.#flush();
    return {
      count: this.#hashed,
      leafHashes: this.#leaves.subarray(0, 32 * this.#hashed),
      eventLengths: this.#lengths.subarray(0, this.#hashed),
    };
  }

  #added(end: number): number {
    this.#ends.push(end);
    this.#used = end;
    return this.#hashed + this.#ends.length - 1;
  }

  #flush(): void {
    const n = this.#ends.length;
    if (n === 0) return;
    this.#reserve(this.#hashed + n);
    this.#hasher.hashPackedLeaves(this.#chunk, 0, this.#ends, n, this.#leaves, 32 * this.#hashed);
    let from = 0;
    for (let i = 0; i < n; i++) {
      const end = this.#ends[i] as number;
      this.#lengths[this.#hashed + i] = end - from;
      from = end;
    }
    this.#hashed += n;
    this.#append(this.#chunk.subarray(0, this.#used));
    this.#chunk = new Uint8Array(CHUNK_BYTES);
    this.#used = 0;
    this.#ends = [];
  }

  #reserve(count: number): void {
    if (count <= this.#lengths.length) return;
    const capacity = Math.max(count, Math.ceil(this.#lengths.length * 1.25));
    const leaves = new Uint8Array(32 * capacity);
    leaves.set(this.#leaves.subarray(0, 32 * this.#hashed));
    const lengths = new Uint32Array(capacity);
    lengths.set(this.#lengths.subarray(0, this.#hashed));
    this.#leaves = leaves;
    this.#lengths = lengths;
  }
}
