import { describe, expect, it } from 'vitest';
import { every, type LoopTimers } from './every.js';

/** Timers on a manual clock: nothing waits for the wall clock. */
class ManualTimers implements LoopTimers {
  nowMs = 0;
  readonly #pending = new Map<number, { at: number; callback: () => void }>();
  #next = 0;

  setTimeout(callback: () => void, ms: number): unknown {
    const id = ++this.#next;
    this.#pending.set(id, { at: this.nowMs + ms, callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#pending.delete(handle as number);
  }

  /** The waits pending, ms from now. */
  get waits(): number[] {
    return [...this.#pending.values()].map((t) => t.at - this.nowMs);
  }

  /** Moves the clock forward, firing what falls due, and lets the loop run. */
  async advance(ms: number): Promise<void> {
    this.nowMs += ms;
    for (const [id, timer] of [...this.#pending]) {
      if (timer.at > this.nowMs) continue;
      this.#pending.delete(id);
      timer.callback();
    }
    await settle();
  }
}

const settle = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe('every', () => {
  it('runs at once, then every interval', async () => {
    const timers = new ManualTimers();
    const runs: number[] = [];
    const loop = every({ intervalMs: 100, timers, run: async () => void runs.push(timers.nowMs) });
    await settle();
    expect(runs).toEqual([0]);
    await timers.advance(99);
    expect(runs).toEqual([0]);
    await timers.advance(1);
    await timers.advance(100);
    expect(runs).toEqual([0, 100, 200]);
    await loop.stop();
  });

  it('waits what a run returns (0 = at once) instead of the interval', async () => {
    const timers = new ManualTimers();
    const delays = [30, 0, 500];
    let runs = 0;
    const loop = every({ intervalMs: 100, timers, run: async () => delays[runs++] });
    await settle();
    expect(timers.waits).toEqual([30]);
    await timers.advance(30);
    expect(runs).toBe(3); // the 0 ran the third at once
    expect(timers.waits).toEqual([500]);
    await loop.stop();
  });

  it('runs sooner when woken, and a wake during a run skips the next wait', async () => {
    const timers = new ManualTimers();
    let runs = 0;
    let release: (() => void) | undefined;
    const loop = every({
      intervalMs: 1000,
      timers,
      run: () => {
        runs++;
        return new Promise<void>((resolve) => {
          release = resolve;
        });
      },
    });
    await settle();
    loop.wake(); // during the first run
    release?.();
    await settle();
    expect(runs).toBe(2);
    release?.();
    await settle();
    expect(timers.waits).toEqual([1000]);
    loop.wake(); // during the wait
    await settle();
    expect(runs).toBe(3);
    release?.();
    await loop.stop();
  });

  it('hands errors to onError, which may choose the next wait', async () => {
    const timers = new ManualTimers();
    const errors: unknown[] = [];
    const loop = every({
      intervalMs: 100,
      timers,
      run: async () => {
        throw new Error('away');
      },
      onError: (error) => {
        errors.push(error);
        return 2000;
      },
    });
    await settle();
    expect(errors).toHaveLength(1);
    expect(timers.waits).toEqual([2000]);
    await loop.stop();
  });

  it('waits first when asked', async () => {
    const timers = new ManualTimers();
    let runs = 0;
    const loop = every({ intervalMs: 50, waitFirst: true, timers, run: async () => void runs++ });
    await settle();
    expect(runs).toBe(0);
    await timers.advance(50);
    expect(runs).toBe(1);
    await loop.stop();
  });

  it('stop: no run starts after it, the run in progress is awaited and its signal aborted', async () => {
    const timers = new ManualTimers();
    let runs = 0;
    let aborted = false;
    let release: (() => void) | undefined;
    const loop = every({
      intervalMs: 10,
      timers,
      run: (signal) => {
        runs++;
        signal.addEventListener('abort', () => {
          aborted = true;
        });
        return new Promise<void>((resolve) => {
          release = resolve;
        });
      },
    });
    await settle();
    let stopped = false;
    const stopping = loop.stop().then(() => {
      stopped = true;
    });
    await settle();
    expect([aborted, stopped, loop.stopped]).toEqual([true, false, true]);
    release?.();
    await stopping;
    await timers.advance(1000);
    expect(runs).toBe(1);
    expect(timers.waits).toEqual([]);
  });
});
