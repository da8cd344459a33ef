// SupervisedProcess with restarts, on real (tiny) node processes; the backoff runs on a clock the
// test moves, so no test waits for a delay.
import { describe, expect, it } from 'vitest';
import type { Clock, SupervisionEvent } from './restarter.js';
import { SupervisedProcess } from './supervised-process.js';

/** A clock whose timers fire only when `fire()` is called. */
function manualClock() {
  let due: (() => void)[] = [];
  const clock: Clock = {
    now: () => 0,
    after(_ms, run) {
      due.push(run);
      return () => {
        due = due.filter((r) => r !== run);
      };
    },
  };
  return {
    clock,
    get pending() {
      return due.length;
    },
    fire() {
      const now = due;
      due = [];
      for (const run of now) run();
    },
  };
}

/** Records the events; `first(kind)` waits for the first of a kind. */
function eventsOf() {
  const events: SupervisionEvent[] = [];
  let notify: () => void = () => {};
  return {
    events,
    onEvent(event: SupervisionEvent) {
      events.push(event);
      notify();
    },
    async first(kind: SupervisionEvent['kind']): Promise<SupervisionEvent> {
      for (;;) {
        const found = events.find((e) => e.kind === kind);
        if (found !== undefined) return found;
        await new Promise<void>((resolve) => {
          notify = resolve;
        });
      }
    },
  };
}

function service(script: string, clock: Clock, onEvent: (e: SupervisionEvent) => void) {
  const lines: string[] = [];
  const supervised = new SupervisedProcess({
    name: 'svc',
    command: process.execPath,
    args: ['-e', script],
    env: {},
    cwd: process.cwd(),
    onLine: ({ line }) => lines.push(line),
    restart: { clock, onEvent },
  });
  return { supervised, lines };
}

const RUNS_UNTIL_KILLED = "process.stdout.write('up\\n'); setInterval(() => {}, 1000);";

describe('SupervisedProcess with restart', () => {
  it('starts a process killed unasked again after the backoff, and says how it died', async () => {
    const time = manualClock();
    const seen = eventsOf();
    const { supervised } = service(RUNS_UNTIL_KILLED, time.clock, seen.onEvent);
    supervised.start();
    const firstPid = supervised.pid;
    try {
      supervised.signal('SIGKILL');
      const died = await seen.first('died');
      expect(died).toMatchObject({ name: 'svc', exit: { code: null, signal: 'SIGKILL' }, restartInMs: 250 });
      expect(supervised.running).toBe(false);
      expect(supervised.restarting).toBe(true);
      time.fire();
      const restarted = await seen.first('restarted');
      expect(restarted).toMatchObject({ kind: 'restarted', name: 'svc' });
      expect(supervised.running).toBe(true);
      expect(supervised.pid).not.toBe(firstPid);
    } finally {
      await supervised.stop();
    }
    expect(supervised.running).toBe(false);
    expect(time.pending).toBe(0); // a requested stop is not a death
  });

  it('leaves a process that exits 2 down, with its last stderr line naming the setting', async () => {
    const time = manualClock();
    const seen = eventsOf();
    const { supervised, lines } = service(
      "process.stdout.write('starting\\n'); process.stderr.write('MSI_SHARDS: \"four\" is not an integer\\n'); process.exitCode = 2;",
      time.clock,
      seen.onEvent,
    );
    supervised.start();
    const left = await seen.first('left-down');
    expect(left).toEqual({
      kind: 'left-down',
      name: 'svc',
      exit: { code: 2, signal: null },
      detail: 'MSI_SHARDS: "four" is not an integer',
    });
    expect(time.pending).toBe(0);
    expect(supervised.restarting).toBe(false);
    expect(supervised.running).toBe(false);
    expect(lines).toEqual(['starting', 'MSI_SHARDS: "four" is not an integer']);
    expect(seen.events.map((e) => e.kind)).toEqual(['left-down']);
  });

  it('stop() during the backoff cancels the restart: nothing comes back', async () => {
    const time = manualClock();
    const seen = eventsOf();
    const { supervised } = service(RUNS_UNTIL_KILLED, time.clock, seen.onEvent);
    supervised.start();
    supervised.signal('SIGKILL');
    await seen.first('died');
    expect(time.pending).toBe(1);
    await supervised.stop();
    expect(time.pending).toBe(0);
    time.fire();
    expect(supervised.running).toBe(false);
    expect(seen.events.map((e) => e.kind)).toEqual(['died']);
  });

  it('without restart, a killed process stays down (what takeover tests rely on)', async () => {
    const supervised = new SupervisedProcess({
      name: 'svc',
      command: process.execPath,
      args: ['-e', RUNS_UNTIL_KILLED],
      env: {},
      cwd: process.cwd(),
      onLine: () => {},
    });
    supervised.start();
    supervised.signal('SIGKILL');
    await supervised.exited();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(supervised.running).toBe(false);
    expect(supervised.restarting).toBe(false);
  });
});
