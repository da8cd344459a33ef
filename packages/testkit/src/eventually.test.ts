import { describe, expect, it } from 'vitest';
import { EventuallyTimeoutError, eventually } from './eventually.js';

/** A clock that only moves when the helper sleeps, recording each pause. */
function fakeClock() {
  let t = 0;
  const pauses: number[] = [];
  return {
    pauses,
    now: () => t,
    sleep: async (ms: number) => {
      pauses.push(ms);
      t += ms;
    },
  };
}

describe('eventually', () => {
  it('resolves with the first value that is not undefined, null or false', async () => {
    const answers = [undefined, null, false, 0, 1];
    const clock = fakeClock();
    expect(await eventually('a number', () => answers.shift(), clock)).toBe(0);
    expect(clock.pauses).toHaveLength(3);
  });

  it('calls a probe that throws again, and resolves once it stops throwing', async () => {
    let calls = 0;
    const probe = async () => {
      calls++;
      if (calls < 3) throw new Error('not yet');
      return 'ready';
    };
    expect(await eventually('readiness', probe, fakeClock())).toBe('ready');
    expect(calls).toBe(3);
  });

  it('backs off 1.5 times per attempt up to the longest pause, and tries once more at the deadline', async () => {
    const clock = fakeClock();
    const attempt = eventually('never', () => undefined, {
      ...clock,
      timeoutMs: 1000,
      intervalMs: 100,
      maxIntervalMs: 300,
    });
    await expect(attempt).rejects.toThrow(EventuallyTimeoutError);
    expect(clock.pauses).toEqual([100, 150, 225, 300, 225]);
    expect(clock.now()).toBe(1000);
  });

  it('names what it waited for, how long, the last error and the detail', async () => {
    const clock = fakeClock();
    const failure = await eventually(
      'the calendar to be up',
      () => {
        throw new Error('connection refused');
      },
      { ...clock, timeoutMs: 200, detail: () => 'calendar | starting' },
    ).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(EventuallyTimeoutError);
    const error = failure as EventuallyTimeoutError;
    expect(error.what).toBe('the calendar to be up');
    expect(error.message).toMatch(
      /^timed out after 200 ms \(\d+ attempts\) waiting for the calendar to be up; the last attempt threw: connection refused\ncalendar \| starting$/,
    );
    expect((error.cause as Error).message).toBe('connection refused');
  });

  it('does not blame an error an earlier attempt threw when the last one only said "not yet"', async () => {
    let calls = 0;
    const failure = await eventually<never>(
      'quiet',
      () => {
        calls++;
        if (calls === 1) throw new Error('early');
        return undefined;
      },
      { ...fakeClock(), timeoutMs: 100 },
    ).catch((error: unknown) => error as Error);
    expect(failure.message).not.toContain('early');
    expect(failure.cause).toBeUndefined();
  });

  it('waits on the real clock by default', async () => {
    const start = performance.now();
    let ready = false;
    setTimeout(() => {
      ready = true;
    }, 30);
    expect(await eventually('the timer', () => ready)).toBe(true);
    expect(performance.now() - start).toBeGreaterThanOrEqual(25);
  });
});
