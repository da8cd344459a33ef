import { describe, expect, it } from 'vitest';
import { type Clock, Restarter, type SupervisionEvent } from './restarter.js';

/** A clock that moves only when told: `advance` fires the timers that fall due, in order. */
function manualClock() {
  let now = 0;
  let timers: { at: number; run: () => void }[] = [];
  const clock: Clock = {
    now: () => now,
    after(ms, run) {
      const timer = { at: now + ms, run };
      timers.push(timer);
      return () => {
        timers = timers.filter((t) => t !== timer);
      };
    },
  };
  return {
    clock,
    get waiting() {
      return timers.map((t) => t.at - now);
    },
    async advance(ms: number) {
      const until = now + ms;
      for (;;) {
        const due = timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
        if (due === undefined) break;
        timers = timers.filter((t) => t !== due);
        now = due.at;
        due.run();
        await settle();
      }
      now = until;
    },
  };
}

/** Lets promise callbacks (a launch resolving) run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

const killed = { code: null, signal: 'SIGKILL' } as const;

function setUp(launch: (signal: AbortSignal) => number | Promise<number> = () => 100) {
  const time = manualClock();
  const events: SupervisionEvent[] = [];
  let launches = 0;
  const restarter = new Restarter({
    name: 'ingest',
    clock: time.clock,
    onEvent: (event) => events.push(event),
    launch: (signal) => {
      launches++;
      return launch(signal);
    },
  });
  restarter.started();
  return { time, events, restarter, launches: () => launches };
}

describe('Restarter', () => {
  it('restarts after 250 ms, 500 ms, 1 s … while runs keep failing quickly, and says so', async () => {
    const { time, events, restarter, launches } = setUp();
    await time.advance(1000);
    restarter.exited(killed, undefined);
    expect(events.at(-1)).toMatchObject({ kind: 'died', ranMs: 1000, restartInMs: 250, failures: 1 });
    await time.advance(249);
    expect(launches()).toBe(0);
    await time.advance(1);
    expect(launches()).toBe(1);
    expect(events.at(-1)).toEqual({ kind: 'restarted', name: 'ingest', pid: 100 });

    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      await time.advance(100); // each run dies 100 ms after its start
      restarter.exited({ code: 1, signal: null }, 'Error: connect ECONNREFUSED 127.0.0.1:5432');
      const died = events.at(-1);
      if (died?.kind !== 'died') throw new Error(`not a death: ${JSON.stringify(died)}`);
      expect(died.detail).toBe('Error: connect ECONNREFUSED 127.0.0.1:5432');
      delays.push(died.restartInMs);
      await time.advance(died.restartInMs);
    }
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
    expect(launches()).toBe(8);
  });

  it('starts over at 250 ms after a run that lasted 30 s', async () => {
    const { time, events, restarter } = setUp();
    for (let i = 0; i < 3; i++) {
      await time.advance(10);
      restarter.exited(killed, undefined);
      await time.advance(10_000);
    }
    expect(events.at(-2)).toMatchObject({ kind: 'died', restartInMs: 1000, failures: 3 });
    await time.advance(30_000);
    restarter.exited(killed, undefined);
    expect(events.at(-1)).toMatchObject({ kind: 'died', restartInMs: 250, failures: 1 });
  });

  it('leaves a process that exits 2 down, with what it said last', async () => {
    const { time, events, restarter, launches } = setUp();
    restarter.exited({ code: 2, signal: null }, 'MSI_SHARDS: "four" is not an integer');
    expect(events).toEqual([
      {
        kind: 'left-down',
        name: 'ingest',
        exit: { code: 2, signal: null },
        detail: 'MSI_SHARDS: "four" is not an integer',
      },
    ]);
    expect(time.waiting).toEqual([]);
    await time.advance(60_000);
    expect(launches()).toBe(0);
    expect(restarter.pending).toBe(false);
  });

  it('a restart that fails to start is tried again with a longer delay', async () => {
    let fail = true;
    const { time, events, restarter, launches } = setUp(() => {
      if (fail) throw new Error('port 4222 in use');
      return 7;
    });
    restarter.exited(killed, undefined);
    await time.advance(250);
    expect(events.at(-1)).toMatchObject({
      kind: 'restart-failed',
      error: 'port 4222 in use',
      restartInMs: 500,
      failures: 2,
    });
    expect(restarter.pending).toBe(true);
    fail = false;
    await time.advance(500);
    expect(launches()).toBe(2);
    expect(events.at(-1)).toEqual({ kind: 'restarted', name: 'ingest', pid: 7 });
    expect(restarter.pending).toBe(false);
  });

  it('halt() cancels a restart waiting for its delay: nothing is started during a shutdown', async () => {
    const { time, restarter, launches } = setUp();
    restarter.exited(killed, undefined);
    expect(restarter.pending).toBe(true);
    await restarter.halt();
    expect(time.waiting).toEqual([]);
    await time.advance(60_000);
    expect(launches()).toBe(0);
    // an exit reported after halt() (the stop's own SIGTERM) is not a death
    restarter.exited({ code: 0, signal: null }, undefined);
    expect(time.waiting).toEqual([]);
  });

  it('halt() aborts a start under way and waits for it', async () => {
    let aborted = false;
    const { time, events, restarter } = setUp(
      (signal) =>
        new Promise<number>((_, reject) => {
          signal.addEventListener('abort', () => {
            aborted = true;
            reject(new Error('given up'));
          });
        }),
    );
    restarter.exited(killed, undefined);
    await time.advance(250);
    expect(restarter.pending).toBe(true);
    await restarter.halt();
    expect(aborted).toBe(true);
    expect(restarter.pending).toBe(false);
    expect(events.map((e) => e.kind)).toEqual(['died']); // no restart-failed, no new try
    expect(time.waiting).toEqual([]);
  });

  it('resume() after halt() allows restarts again, the row started over', async () => {
    const { time, events, restarter, launches } = setUp();
    restarter.exited(killed, undefined);
    await time.advance(250);
    await restarter.halt();
    restarter.resume();
    restarter.started();
    restarter.exited(killed, undefined);
    expect(events.at(-1)).toMatchObject({ kind: 'died', restartInMs: 250, failures: 1 });
    await time.advance(250);
    expect(launches()).toBe(2);
  });
});
