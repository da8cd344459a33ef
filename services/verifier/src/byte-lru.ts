/**
 * A least-recently-used cache bounded by bytes: each entry is stored with its size (an estimate of
 * what it holds in memory), and the least recently used entries are dropped while the total is over
 * the budget. Loads of the same key that overlap share one promise; a failed load is not kept.
 */
/** An entry, linked from least to most recently used. */
interface Entry<V> {
  readonly key: string;
  readonly value: V;
  readonly bytes: number;
  older: Entry<V> | undefined;
  newer: Entry<V> | undefined;
}

export class ByteLru<V> {
  readonly #budget: number;
  /**
   * The entries by key; their use order is a linked list, never the Map's own order: re-inserting
   * on every hit and evicting from the front of a Map leaves deleted slots that each eviction's
   * iterator walks again (measured 83 µs per evicting set at 300k entries).
   */
  readonly #entries = new Map<string, Entry<V>>();
  readonly #loading = new Map<string, Promise<V | undefined>>();
  #oldest: Entry<V> | undefined;
  #newest: Entry<V> | undefined;
  #total = 0;

  /** `budget`: the most bytes kept (0 keeps nothing). */
  constructor(budget: number) {
    if (!Number.isSafeInteger(budget) || budget < 0)
      throw new RangeError(`budget: ${budget} is not a byte count`);
    this.#budget = budget;
  }

  /** The bytes held now (never above the budget). */
  get bytes(): number {
    return this.#total;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry !== this.#newest) {
      this.#unlink(entry);
      this.#append(entry);
    }
    return entry.value;
  }

  /** Keeps `value` (unless it alone is over the budget), dropping the least recently used beyond it. */
  set(key: string, value: V, bytes: number): void {
    this.#drop(key);
    if (bytes > this.#budget) return;
    const entry: Entry<V> = { key, value, bytes, older: undefined, newer: undefined };
    this.#entries.set(key, entry);
    this.#append(entry);
    this.#total += bytes;
    for (
      let oldest = this.#oldest;
      this.#total > this.#budget && oldest !== undefined;
      oldest = this.#oldest
    ) {
      this.#entries.delete(oldest.key);
      this.#unlink(oldest);
      this.#total -= oldest.bytes;
    }
  }

  /**
   * The value of `key`, loaded once when absent (concurrent callers share the load). A value `keep`
   * refuses (or undefined) is returned but not kept.
   */
  async load(
    key: string,
    loader: () => Promise<V | undefined>,
    sizeOf: (value: V) => number,
    keep: (value: V) => boolean = () => true,
  ): Promise<V | undefined> {
    const cached = this.get(key);
    if (cached !== undefined) return cached;
    const running = this.#loading.get(key);
    if (running !== undefined) return running;
    const loading = loader().finally(() => this.#loading.delete(key));
    this.#loading.set(key, loading);
    const value = await loading;
    if (value !== undefined && keep(value)) this.set(key, value, sizeOf(value));
    return value;
  }

  #drop(key: string): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    this.#entries.delete(key);
    this.#unlink(entry);
    this.#total -= entry.bytes;
  }

  /** Takes `entry` out of the use order. */
  #unlink(entry: Entry<V>): void {
    if (entry.older === undefined) this.#oldest = entry.newer;
    else entry.older.newer = entry.newer;
    if (entry.newer === undefined) this.#newest = entry.older;
    else entry.newer.older = entry.older;
    entry.older = undefined;
    entry.newer = undefined;
  }

  /** Puts `entry` last in the use order (most recently used). */
  #append(entry: Entry<V>): void {
    entry.older = this.#newest;
    if (this.#newest === undefined) this.#oldest = entry;
    else this.#newest.newer = entry;
    this.#newest = entry;
  }
}
