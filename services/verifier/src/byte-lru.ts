/**
 * A least-recently-used cache bounded by bytes: each entry is stored with its size (an estimate of
 * what it holds in memory), and the least recently used entries are dropped while the total is over
 * the budget. Loads of the same key that overlap share one promise; a failed load is not kept.
 */
export class ByteLru<V> {
  readonly #budget: number;
  readonly #entries = new Map<string, { readonly value: V; readonly bytes: number }>();
  readonly #loading = new Map<string, Promise<V | undefined>>();
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
    this.#entries.delete(key);
    this.#entries.set(key, entry); // most recently used last
    return entry.value;
  }

  /** Keeps `value` (unless it alone is over the budget), dropping the least recently used beyond it. */
  set(key: string, value: V, bytes: number): void {
    this.#drop(key);
    if (bytes > this.#budget) return;
    this.#entries.set(key, { value, bytes });
    this.#total += bytes;
    for (const oldest of this.#entries.keys()) {
      if (this.#total <= this.#budget) break;
      this.#drop(oldest);
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
    this.#total -= entry.bytes;
  }
}
