import { createLogger } from '@msi/service-kit';
import { eventually } from '@msi/testkit';
import { describe, expect, it } from 'vitest';
import type { RoundOutcome } from './calendar.js';
import { CalendarError } from './calendar-error.js';
import { type RoundCloser, runCalendar } from './calendar-runner.js';

const INTERVAL = 20;
const log = createLogger({ service: 'calendar', level: 'error', write: () => {} });

/** A round closer answering from a script: each boundary takes the next step. */
function scripted(steps: readonly (RoundOutcome | Error)[]) {
  const boundaries: number[] = [];
  let publishes = 0;
  const closer: RoundCloser = {
    async closeNextRound(boundaryMs) {
      boundaries.push(boundaryMs);
      const step = steps[Math.min(boundaries.length - 1, steps.length - 1)];
      if (step instanceof Error) throw step;
      return step ?? { kind: 'standby', owner: 'x' };
    },
    async publish() {
      publishes++;
      return { published: 0, plan: 'up-to-date' as const };
    },
  };
  return { closer, boundaries, publishes: () => publishes };
}

const appended = (round: number): RoundOutcome => ({ kind: 'appended', round, seals: 0, takeover: false });
const soon = { timeoutMs: 5_000, intervalMs: 5 };

describe('runCalendar', () => {
  it('closes one round per wall-clock boundary and kicks the publisher', async () => {
    const { closer, boundaries, publishes } = scripted([appended(0), appended(1), appended(2), appended(3)]);
    const seen: RoundOutcome[] = [];
    const running = runCalendar(closer, {
      intervalMs: INTERVAL,
      nowMs: Date.now,
      log,
      onRound: (o) => seen.push(o),
    });
    await eventually('4 round boundaries', () => boundaries.length >= 4, soon);
    await running.stop();
    expect(boundaries.every((b) => b % INTERVAL === 0)).toBe(true);
    expect(new Set(boundaries).size).toBe(boundaries.length); // each boundary once, increasing
    expect([...boundaries].sort((a, b) => a - b)).toEqual(boundaries);
    expect(seen.slice(0, 4)).toEqual([appended(0), appended(1), appended(2), appended(3)]);
    expect(publishes()).toBeGreaterThan(0); // kicks during a drain coalesce into one more drain
  });

  it('keeps going after a transient error', async () => {
    const { closer, boundaries } = scripted([new Error('postgres away'), appended(0)]);
    const running = runCalendar(closer, { intervalMs: INTERVAL, nowMs: Date.now, log });
    await eventually('3 round boundaries, past the error', () => boundaries.length >= 3, soon);
    await running.stop();
  });

  it('stops at a fatal error and rejects `failed` with it', async () => {
    const fatal = new CalendarError('FORKED', 'forked');
    const { closer, boundaries } = scripted([appended(0), fatal]);
    const running = runCalendar(closer, { intervalMs: INTERVAL, nowMs: Date.now, log });
    await expect(running.failed).rejects.toBe(fatal);
    const count = boundaries.length;
    await new Promise((resolve) => setTimeout(resolve, 3 * INTERVAL));
    expect(boundaries.length).toBe(count);
    await running.stop();
  });
});
