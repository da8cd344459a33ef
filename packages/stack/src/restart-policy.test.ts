import { describe, expect, it } from 'vitest';
import {
  checkRestartPolicy,
  DEFAULT_RESTART_POLICY,
  decideOnExit,
  nextRestart,
  restartDelay,
} from './restart-policy.js';

const policy = DEFAULT_RESTART_POLICY; // 250 ms doubling to 10 s; healthy after 30 s
const killed = { code: null, signal: 'SIGKILL' } as const;

describe('restartDelay', () => {
  it('doubles from 250 ms per failure in a row, up to 10 s', () => {
    const delays = Array.from({ length: 9 }, (_, i) => restartDelay(policy, i + 1));
    expect(delays).toEqual([250, 500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
  });

  it('stays finite however long the row', () => {
    expect(restartDelay(policy, 5000)).toBe(10_000);
    expect(restartDelay({ ...policy, initialDelayMs: 0 }, 5000)).toBe(0);
  });
});

describe('decideOnExit', () => {
  it('restarts a process killed by a signal, or exiting 0 or 1 unasked', () => {
    for (const exit of [killed, { code: 0, signal: null }, { code: 1, signal: null }]) {
      expect(decideOnExit(policy, 0, exit, 5)).toEqual({ kind: 'restart', failures: 1, delayMs: 250 });
    }
  });

  it('counts quick failures in a row; a healthy run starts the row over', () => {
    expect(decideOnExit(policy, 3, killed, 29_999)).toEqual({ kind: 'restart', failures: 4, delayMs: 2000 });
    expect(decideOnExit(policy, 3, killed, 30_000)).toEqual({ kind: 'restart', failures: 1, delayMs: 250 });
  });

  it('leaves a process that exits 2 (bad configuration) down, however long it ran', () => {
    for (const ran of [0, 60_000]) {
      expect(decideOnExit(policy, 0, { code: 2, signal: null }, ran)).toEqual({
        kind: 'leave-down',
        reason: 'bad-configuration',
      });
    }
  });
});

describe('nextRestart after a start that failed', () => {
  it('counts as one more failure in the row', () => {
    expect(nextRestart(policy, 2, 0)).toEqual({ kind: 'restart', failures: 3, delayMs: 1000 });
  });
});

describe('checkRestartPolicy', () => {
  it.each([
    ['a negative delay', { ...policy, initialDelayMs: -1 }, /initialDelayMs must be a non-negative integer/],
    ['a fraction', { ...policy, healthyAfterMs: 0.5 }, /healthyAfterMs/],
    [
      'max below initial',
      { ...policy, maxDelayMs: 100 },
      /maxDelayMs \(100\) is below initialDelayMs \(250\)/,
    ],
  ])('refuses %s, naming the field', (_name, bad, message) => {
    expect(() => checkRestartPolicy(bad)).toThrow(message);
  });

  it('accepts the default', () => {
    expect(checkRestartPolicy(policy)).toBe(policy);
  });
});
