/**
 * The bound on in-flight events (accepted, not yet answered) across all calls. Unary calls take
 * capacity or are refused (RESOURCE_EXHAUSTED); streams wait for it in arrival order, with their
 * reading paused meanwhile, so memory stays bounded either way.
 */
export class Admission {
  #used = 0;
  readonly #waiters: { count: number; grant: () => void }[] = [];

  readonly #onChange: (used: number) => void;

  constructor(
    readonly capacity: number,
    onChange: (used: number) => void = () => {},
  ) {
    this.#onChange = onChange;
  }

  /** Takes `count` now if it is free and nobody is waiting; false otherwise. */
  tryAcquire(count: number): boolean {
    if (this.#waiters.length > 0 || this.#used + count > this.capacity) return false;
    this.#take(count);
    return true;
  }

  /**
   * Takes `count` when it is free (in arrival order). `count` above the capacity waits for an empty
   * ingest, and is taken at once when ingest is empty already (no release would come to grant it).
   */
  acquire(count: number): Promise<void> {
    if (this.tryAcquire(count)) return Promise.resolve();
    if (this.#used === 0 && this.#waiters.length === 0) {
      this.#take(count);
      return Promise.resolve();
    }
    return new Promise((grant) => this.#waiters.push({ count, grant }));
  }

  release(count: number): void {
    this.#used -= count;
    this.#onChange(this.#used);
    while (this.#waiters.length > 0) {
      const next = this.#waiters[0];
      if (next === undefined || (this.#used + next.count > this.capacity && this.#used > 0)) break;
      this.#waiters.shift();
      this.#take(next.count);
      next.grant();
    }
  }

  get inUse(): number {
    return this.#used;
  }

  #take(count: number): void {
    this.#used += count;
    this.#onChange(this.#used);
  }
}
