import { every, type RunningLoop } from '@msi/service-kit';

/**
 * The anchored frontier: the size of the newest verified checkpoint, i.e. every round below it can be
 * served with a receipt. One poller for all WatchReceipts streams of a process: it reads the frontier
 * every `intervalMs` while at least one stream waits, and not at all otherwise. Waiting is by value
 * (resolve once the frontier passes it), so a stream that misses a poll misses nothing.
 */
export class AnchoredFrontier {
  readonly #read: () => Promise<number>;
  readonly #intervalMs: number;
  readonly #onError: (error: unknown) => void;
  readonly #waiters = new Set<{ above: number; resolve: (frontier: number | undefined) => void }>();
  #loop: RunningLoop | undefined;
  #last = 0;

  constructor(
    read: () => Promise<number>,
    options: { intervalMs?: number; onError?: (error: unknown) => void } = {},
  ) {
    this.#read = read;
    this.#intervalMs = options.intervalMs ?? 200;
    this.#onError = options.onError ?? (() => {});
  }

  /** The frontier now (one read). */
  async current(): Promise<number> {
    this.#last = Math.max(this.#last, await this.#read());
    return this.#last;
  }

  /**
   * Resolves with the frontier once it is above `above`, or with undefined when `signal` aborts
   * (the stream was cancelled).
   */
  waitAbove(above: number, signal: AbortSignal): Promise<number | undefined> {
    if (this.#last > above) return Promise.resolve(this.#last);
    if (signal.aborted) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const waiter = {
        above,
        resolve: (frontier: number | undefined) => {
          this.#waiters.delete(waiter);
          signal.removeEventListener('abort', onAbort);
          resolve(frontier);
        },
      };
      const onAbort = () => waiter.resolve(undefined);
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiters.add(waiter);
      this.#schedule();
    });
  }

  /** Polls every intervalMs (every(), first after one interval) while a stream waits. */
  #schedule(): void {
    if (this.#waiters.size === 0) return;
    this.#loop ??= every({
      intervalMs: this.#intervalMs,
      waitFirst: true,
      run: () => this.#poll(),
      onError: (error) => this.#onError(error),
    });
  }

  async #poll(): Promise<void> {
    const frontier = await this.current();
    for (const waiter of [...this.#waiters]) if (frontier > waiter.above) waiter.resolve(frontier);
    if (this.#waiters.size > 0) return;
    const loop = this.#loop;
    this.#loop = undefined;
    void loop?.stop(); // ends after this run: nobody waits
  }
}
