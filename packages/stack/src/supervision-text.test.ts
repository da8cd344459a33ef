import { describe, expect, it } from 'vitest';
import { describeSupervisionEvent, durationText } from './supervision-text.js';

describe('describeSupervisionEvent', () => {
  it('a service that crashed: its exit code (its output is on the console above); the row of failures', () => {
    expect(
      describeSupervisionEvent({
        kind: 'died',
        name: 'verifier',
        exit: { code: 1, signal: null },
        ranMs: 120,
        detail: 'verifier failed to start: connect ECONNREFUSED 127.0.0.1:5432',
        restartInMs: 2000,
        failures: 4,
      }),
    ).toBe('died (exit code 1) after 120 ms — restarting in 2 s (failure 4 in a row)');
  });

  it("a server whose keeper said how it died: the report's first and last lines", () => {
    expect(
      describeSupervisionEvent({
        kind: 'died',
        name: 'nats',
        exit: undefined,
        ranMs: 754_000,
        detail: 'nats-server exited (code null, signal SIGKILL): [INF] Starting\n[INF] Server is ready\n',
        restartInMs: 250,
        failures: 1,
      }),
    ).toBe(
      'died after 12 min 34 s: nats-server exited (code null, signal SIGKILL): [INF] Starting … [INF] Server is ready — restarting in 250 ms',
    );
  });

  it('a restart that failed, and one that worked', () => {
    expect(
      describeSupervisionEvent({
        kind: 'restart-failed',
        name: 'postgres',
        error: 'postgres did not start: could not bind',
        restartInMs: 500,
        failures: 2,
      }),
    ).toBe('could not be restarted: postgres did not start: could not bind — trying again in 500 ms');
    expect(describeSupervisionEvent({ kind: 'restarted', name: 'ingest', pid: 4321 })).toBe(
      'restarted (pid 4321)',
    );
  });
});

describe('durationText', () => {
  it.each([
    [0, '0 ms'],
    [999, '999 ms'],
    [1000, '1 s'],
    [4290, '4.2 s'],
    [59_999, '59.9 s'],
    [60_000, '1 min 0 s'],
  ])('%d ms: %s', (ms, text) => {
    expect(durationText(ms)).toBe(text);
  });
});
