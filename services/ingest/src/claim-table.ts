/**
 * An open-addressing hash table from (tenant number, 16-byte event id) to a claim position, in typed
 * arrays: 20 bytes of key and 8 of position per slot, no object per entry. At a load between 0.35 and
 * 0.7 (it doubles past 0.7) that is 40–80 bytes per id, against ~121 for a Map entry with its key string.
 *
 * Probing is linear from a hash keyed by a per-table random seed: ids come from clients, and a
 * client that could predict the slots could make every lookup walk a long run. Entries are never
 * removed one by one (a slice of the claim index is dropped whole), so there are no tombstones.
 */
export class ClaimTable {
  /** Per slot: tenant number + 1 (0 = empty), then the id as four 32-bit words (big-endian). */
  #keys: Uint32Array;
  #positions: Float64Array;
  #mask: number;
  #size = 0;
  readonly #seed: number;

  constructor(initialSlots = 1024, seed = randomSeed()) {
    let slots = 16;
    while (slots < initialSlots) slots *= 2;
    this.#keys = new Uint32Array(slots * 5);
    this.#positions = new Float64Array(slots);
    this.#mask = slots - 1;
    this.#seed = seed;
  }

  /** Entries held. */
  get size(): number {
    return this.#size;
  }

  /** Bytes of the typed arrays (what the table costs beyond a few object headers). */
  get bytes(): number {
    return this.#keys.byteLength + this.#positions.byteLength;
  }

  /**
   * The table's arrays, seed and size, as they are (not copies): what `ClaimTableFile` writes and
   * `restore` takes back. A reader of the arrays finds a key the way `get` does (`homeSlotOf`, then
   * linear probing to the first empty slot).
   */
  get state(): ClaimTableState {
    return { keys: this.#keys, positions: this.#positions, size: this.#size, seed: this.#seed };
  }

  /** A table over arrays that `state` gave (their slot count a power of two, the same seed). */
  static restore(state: ClaimTableState): ClaimTable {
    const slots = state.positions.length;
    if (slots < 16 || (slots & (slots - 1)) !== 0 || state.keys.length !== slots * 5)
      throw new Error(`not a claim table: ${slots} slots, ${state.keys.length} key words`);
    const table = new ClaimTable(16, state.seed);
    table.#keys = state.keys;
    table.#positions = state.positions;
    table.#mask = slots - 1;
    table.#size = state.size;
    return table;
  }

  /** Sets every entry of `from` here (its positions replace these). */
  setAll(from: ClaimTable): void {
    from.forEach((tenant, id, position) => {
      this.set(tenant, id, position);
    });
  }

  /** Calls `each` with every entry (tenant number, id words, position); the words are reused. */
  forEach(each: (tenant: number, id: IdWords, position: number) => void): void {
    eachEntry(this.#keys, this.#positions, (mark, id, position) => {
      each(mark - 1, id, position);
    });
  }

  /** The position stored for the key, or undefined. */
  get(tenant: number, id: IdWords): number | undefined {
    const slot = this.#find(tenant, id);
    return this.#keys[slot * 5] === 0 ? undefined : this.#positions[slot];
  }

  /** Stores (or replaces) the position of the key. */
  set(tenant: number, id: IdWords, position: number): void {
    if (this.setIfAbsent(tenant, id, position) !== undefined)
      this.#positions[this.#find(tenant, id)] = position;
  }

  /**
   * The position stored for the key, if it has one (left as it is); else stores `position` and
   * returns undefined. One probe where `get` then `set` would take two.
   */
  setIfAbsent(tenant: number, id: IdWords, position: number): number | undefined {
    let slot = this.#find(tenant, id);
    if (this.#keys[slot * 5] !== 0) return this.#positions[slot];
    if ((this.#size + 1) * 10 > (this.#mask + 1) * 7) {
      this.#grow();
      slot = this.#find(tenant, id);
    }
    const at = slot * 5;
    this.#keys[at] = tenant + 1;
    this.#keys[at + 1] = id[0];
    this.#keys[at + 2] = id[1];
    this.#keys[at + 3] = id[2];
    this.#keys[at + 4] = id[3];
    this.#size += 1;
    this.#positions[slot] = position;
    return undefined;
  }

  /** The slot holding the key, or the empty slot where it would go. */
  #find(tenant: number, id: IdWords): number {
    const keys = this.#keys;
    const mark = tenant + 1;
    let slot = this.#hash(mark, id) & this.#mask;
    for (;;) {
      const at = slot * 5;
      const held = keys[at];
      if (
        held === 0 ||
        (held === mark &&
          keys[at + 1] === id[0] &&
          keys[at + 2] === id[1] &&
          keys[at + 3] === id[2] &&
          keys[at + 4] === id[3])
      ) {
        return slot;
      }
      slot = (slot + 1) & this.#mask;
    }
  }

  #hash(mark: number, id: IdWords): number {
    return keyHash(this.#seed, mark, id);
  }

  #grow(): void {
    const keys = this.#keys;
    const positions = this.#positions;
    const slots = (this.#mask + 1) * 2;
    this.#keys = new Uint32Array(slots * 5);
    this.#positions = new Float64Array(slots);
    this.#mask = slots - 1;
    eachEntry(keys, positions, (mark, id, position) => {
      let to = this.#hash(mark, id) & this.#mask;
      while (this.#keys[to * 5] !== 0) to = (to + 1) & this.#mask;
      this.#keys[to * 5] = mark;
      this.#keys.set(id, to * 5 + 1);
      this.#positions[to] = position;
    });
  }
}

/** Calls `each` with every occupied slot's mark (tenant number + 1), id words (reused) and position. */
function eachEntry(
  keys: Uint32Array,
  positions: Float64Array,
  each: (mark: number, id: IdWords, position: number) => void,
): void {
  const id: [number, number, number, number] = [0, 0, 0, 0];
  for (let slot = 0; slot < positions.length; slot++) {
    const at = slot * 5;
    const mark = keys[at] ?? 0;
    if (mark === 0) continue;
    id[0] = keys[at + 1] ?? 0;
    id[1] = keys[at + 2] ?? 0;
    id[2] = keys[at + 3] ?? 0;
    id[3] = keys[at + 4] ?? 0;
    each(mark, id, positions[slot] ?? 0);
  }
}

/** An event id as four unsigned 32-bit words, big-endian. */
export type IdWords = readonly [number, number, number, number];

/** A table's arrays: per slot 5 key words (tenant number + 1, 0 = empty; the id) and a position. */
export interface ClaimTableState {
  readonly keys: Uint32Array;
  readonly positions: Float64Array;
  readonly size: number;
  readonly seed: number;
}

/** The slot where probing for (tenant, id) starts in a table of `slots` slots with this seed. */
export function homeSlotOf(seed: number, slots: number, tenant: number, id: IdWords): number {
  return keyHash(seed, tenant + 1, id) & (slots - 1);
}

function keyHash(seed: number, mark: number, id: IdWords): number {
  let h = seed ^ mark;
  h = mix(h ^ id[0]);
  h = mix(h ^ id[1]);
  h = mix(h ^ id[2]);
  h = mix(h ^ id[3]);
  return h >>> 0;
}

/** A 32-bit finalizer (murmur3's fmix32): every input bit reaches every output bit. */
function mix(h: number): number {
  let x = h;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x;
}

function randomSeed(): number {
  return globalThis.crypto.getRandomValues(new Uint32Array(1))[0] ?? 0x9e3779b9;
}
