/** The timer functions a loop waits with (injected by tests: no wall clock). */
export interface LoopTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: LoopTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface EveryOptions {
  /** The wait between runs when a run does not say otherwise, ms. */
  readonly intervalMs: number;
  /**
   * One run. Returns how long to wait before the next one (ms; 0 = at once), or nothing for
   * `intervalMs`. `signal` aborts when the loop is stopped (e.g. to cancel a request in flight).
   */
  readonly run: (signal: AbortSignal) => Promise<number | undefined> | Promise<void>;
  /**
   * A run threw: report it. Returns the wait before the next run, or nothing for `intervalMs`.
   * Without it, a run that throws is waited out like any other.
   */
  readonly onError?: ((error: unknown) => number | undefined) | ((error: unknown) => void);
  /** Wait before the first run instead of running at once (default false). */
  readonly waitFirst?: boolean;
  readonly timers?: LoopTimers;
}

/** A running loop. */
export interface RunningLoop {
  /** Runs again now: ends the current wait, or skips the next one when a run is in progress. */
  wake(): void;
  /** No run starts after this; resolves when the run in progress (if any) has finished. */
  stop(): Promise<void>;
  /** True once stop() was called. */
  readonly stopped: boolean;
}

/**
 * "Do this every interval, or sooner when woken": the one loop every service's schedulers, pollers
 * and retriers use. Runs never overlap; a wake during a run makes the next run follow at once.
 */
export function every(options: EveryOptions): RunningLoop {
  const timers = options.timers ?? realTimers;
  const abort = new AbortController();
  let woken = false;
  let endWait: (() => void) | undefined;

  const wait = (ms: number): Promise<void> => {
    if (woken || abort.signal.aborted || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const handle = timers.setTimeout(done, ms);
      function done() {
        timers.clearTimeout(handle);
        endWait = undefined;
        resolve();
      }
      endWait = done;
    });
  };

  const loop = (async () => {
    if (options.waitFirst === true) await wait(options.intervalMs);
    while (!abort.signal.aborted) {
      woken = false;
      let next: unknown;
      try {
        next = await options.run(abort.signal);
      } catch (error: unknown) {
        if (abort.signal.aborted) break;
        next = options.onError?.(error);
      }
      if (abort.signal.aborted) break;
      await wait(typeof next === 'number' ? next : options.intervalMs);
    }
  })();

  return {
    wake() {
      woken = true;
      endWait?.();
    },
    async stop() {
      abort.abort();
      endWait?.();
      await loop;
    },
    get stopped() {
      return abort.signal.aborted;
    },
  };
}
