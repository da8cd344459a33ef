import { HASH_SIZE } from '@msi/merkle';

const INITIAL_LEAVES = 1024;
const GROWTH = 1.25;

/**
 * The leaf hashes of an open seal, packed 32 bytes each in one growable Uint8Array (a Uint8Array per
 * hash costs ~240 B of heap per leaf). Grows by 1.25x, so it holds at most 40 B per leaf;
 * `clear()` keeps the capacity for the next seal unless it is over twice what was used.
 */
export class LeafBuffer {
  #bytes: Uint8Array;
  #count = 0;

  constructor(initialLeaves = INITIAL_LEAVES) {
    this.#bytes = new Uint8Array(Math.max(1, initialLeaves) * HASH_SIZE);
  }

  /** The number of leaf hashes held. */
  get count(): number {
    return this.#count;
  }

  /** Bytes allocated, for the memory metric. */
  get capacityBytes(): number {
    return this.#bytes.length;
  }

  /** Appends packed leaf hashes. Precondition: `packed.length` is a multiple of 32. */
  append(packed: Uint8Array): void {
    if (packed.length % HASH_SIZE !== 0) {
      throw new RangeError(`leaf hashes: ${packed.length} bytes is not a multiple of ${HASH_SIZE}`);
    }
    const used = this.#count * HASH_SIZE;
    if (used + packed.length > this.#bytes.length) this.#grow(used + packed.length);
    this.#bytes.set(packed, used);
    this.#count += packed.length / HASH_SIZE;
  }

  /** The packed hashes held, as a view (no copy) valid until the next append or clear. */
  view(): Uint8Array {
    return this.#bytes.subarray(0, this.#count * HASH_SIZE);
  }

  /**
   * Trims the capacity to exactly what is held. Called before sealing: sealShard's tree copies the
   * leaves and adds the levels above them (+64 B per leaf), so trimming first keeps the peak of a
   * seal at ~96 B per leaf instead of up to 104.
   */
  compact(): void {
    const used = this.#count * HASH_SIZE;
    if (this.#bytes.length > used && used > 0) this.#bytes = this.#bytes.slice(0, used);
  }

  /** Empties the buffer; gives back memory when the capacity is over twice what was used. */
  clear(): void {
    const used = this.#count * HASH_SIZE;
    if (this.#bytes.length > INITIAL_LEAVES * HASH_SIZE && this.#bytes.length > 2 * used) {
      this.#bytes = new Uint8Array(Math.max(INITIAL_LEAVES * HASH_SIZE, used));
    }
    this.#count = 0;
  }

  #grow(needed: number): void {
    let size = this.#bytes.length;
    while (size < needed) size = Math.ceil((size * GROWTH) / HASH_SIZE) * HASH_SIZE;
    const bytes = new Uint8Array(size);
    bytes.set(this.view());
    this.#bytes = bytes;
  }
}
