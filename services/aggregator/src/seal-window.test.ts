import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decideOnMessage,
  decideOnTick,
  isCaughtUp,
  type MessageDecision,
  timestampMsOf,
  windowEndMs,
  windowOf,
} from './seal-window.js';

describe('windows', () => {
  it.each([
    [0, 1000, 0],
    [999, 1000, 0],
    [1000, 1000, 1],
    [1_732_000_000_250, 250, 6_928_000_001],
  ])('windowOf(%d ms, interval %d) = %d', (ts, interval, window) => {
    expect(windowOf(ts, interval)).toBe(window);
    expect(windowEndMs(window, interval)).toBeGreaterThan(ts);
    expect(windowEndMs(window, interval) - interval).toBeLessThanOrEqual(ts);
  });

  it('reads JetStream nanosecond timestamps as whole milliseconds', () => {
    expect(timestampMsOf(1_795_571_446_521_565_639n)).toBe(1_795_571_446_521);
  });
});

describe('decideOnMessage', () => {
  const cases: [string, Parameters<typeof decideOnMessage>, MessageDecision][] = [
    ['nothing open', [undefined, 5, 10], 'open'],
    ['same window', [{ window: 5, leafCount: 3 }, 5, 10], 'join'],
    ['a later window', [{ window: 5, leafCount: 3 }, 6, 10], 'seal-then-open'],
    ['an earlier window (server clock stepped back)', [{ window: 5, leafCount: 3 }, 4, 10], 'join'],
    ['the open seal is full', [{ window: 5, leafCount: 10 }, 5, 10], 'seal-then-open'],
  ];
  it.each(cases)('%s', (_name, args, decision) => {
    expect(decideOnMessage(...args)).toBe(decision);
  });

  it('property: replaying from any seal boundary reproduces the same seals', () => {
    // A shard's messages as (window, leaves); windows mostly increase, sometimes step back.
    const messages = fc.array(
      fc.record({ step: fc.integer({ min: -1, max: 2 }), leaves: fc.integer({ min: 0, max: 4 }) }),
      { maxLength: 60 },
    );
    const group = (
      ms: readonly { window: number; leaves: number }[],
      from: number,
      max: number,
    ): [number, number][] => {
      const seals: [number, number][] = [];
      let open: { window: number; leafCount: number; start: number } | undefined;
      ms.forEach((m, i) => {
        if (i < from) return;
        const decision = decideOnMessage(open, m.window, max);
        if (decision === 'seal-then-open' && open !== undefined) seals.push([open.start, i]);
        if (decision === 'join' && open !== undefined) open.leafCount += m.leaves;
        else open = { window: m.window, leafCount: m.leaves, start: i };
      });
      if (open !== undefined) seals.push([open.start, ms.length]);
      return seals;
    };
    fc.assert(
      fc.property(messages, fc.integer({ min: 1, max: 6 }), (steps, max) => {
        let window = 100;
        const ms = steps.map(({ step, leaves }) => {
          window = Math.max(0, window + step);
          return { window, leaves };
        });
        const all = group(ms, 0, max);
        // Every seal boundary is a valid resume point: the seals after it are the same.
        all.forEach(([start], k) => {
          expect(group(ms, start, max)).toEqual(all.slice(k));
        });
        // The seals partition the messages in order.
        expect(all.flatMap(([s, e]) => Array.from({ length: e - s }, (_, j) => s + j))).toEqual(
          ms.map((_, i) => i),
        );
      }),
      { numRuns: 200 },
    );
  });
});

describe('decideOnTick', () => {
  it('is idle with nothing open', () => {
    expect(decideOnTick(undefined, 10_000, 1000, 250)).toBe('idle');
  });
  it('waits until the window end plus grace, then checks', () => {
    const open = { window: 7, leafCount: 1 };
    expect(decideOnTick(open, 8249, 1000, 250)).toBe('wait');
    expect(decideOnTick(open, 8250, 1000, 250)).toBe('seal-if-caught-up');
  });
});

describe('isCaughtUp', () => {
  it.each([
    [{ numPending: 0, deliveredConsumerSeq: 41 }, 41, true],
    [{ numPending: 0, deliveredConsumerSeq: 0 }, 0, true],
    [{ numPending: 1, deliveredConsumerSeq: 41 }, 41, false],
    [{ numPending: 0, deliveredConsumerSeq: 45 }, 41, false],
  ])('%j after processing %d: %s', (position, processed, expected) => {
    expect(isCaughtUp(position, processed)).toBe(expected);
  });
});
