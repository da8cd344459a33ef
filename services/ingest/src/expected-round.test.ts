import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectedRound, STALE_INTERVALS } from './expected-round.js';

const last = { round: 41, closedAtUs: 1_764_000_000_000_000 };

describe('expectedRound', () => {
  it('is 0 when no round was seen', () => {
    expect(expectedRound(undefined, last.closedAtUs, 1000)).toBe(0);
  });

  it('is k + 1 early in the interval and k + 2 late in it', () => {
    expect(expectedRound(last, last.closedAtUs + 100_000, 1000)).toBe(42);
    expect(expectedRound(last, last.closedAtUs + 900_000, 1000)).toBe(43);
  });

  it('counts the intervals elapsed since round k', () => {
    expect(expectedRound(last, last.closedAtUs + 2_100_000, 1000)).toBe(44);
  });

  it('is 0 once the calendar looks stopped', () => {
    expect(expectedRound(last, last.closedAtUs + STALE_INTERVALS * 1_000_000, 1000)).toBe(0);
  });

  it('treats an event stamped before round k closed (clock skew) as at its close', () => {
    expect(expectedRound(last, last.closedAtUs - 5_000, 1000)).toBe(42);
  });

  it('is always k + 1 or k + 2 counted from the round just before the event', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: STALE_INTERVALS * 1000 - 1 }),
        fc.integer({ min: 10, max: 5000 }),
        (ms, interval) => {
          const at = last.closedAtUs + Math.floor((ms * interval) / 1000) * 1000;
          const intervals = Math.floor((at - last.closedAtUs) / (interval * 1000));
          const hint = expectedRound(last, at, interval);
          if (intervals >= STALE_INTERVALS) return;
          expect([last.round + intervals + 1, last.round + intervals + 2]).toContain(hint);
        },
      ),
      { numRuns: 200 },
    );
  });
});
