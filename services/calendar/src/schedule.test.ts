import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nextBoundary, nextClosing } from './schedule.js';

describe('nextBoundary', () => {
  it.each([
    [0, 1000, 1000],
    [999, 1000, 1000],
    [1000, 1000, 2000],
    [1001, 250, 1250],
  ])('after %i ms with %i ms rounds is %i', (now, interval, want) => {
    expect(nextBoundary(now, interval)).toBe(want);
  });

  it('is the first multiple of the interval strictly after now', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 45 }),
        fc.integer({ min: 1, max: 86_400_000 }),
        (now, interval) => {
          const boundary = nextBoundary(now, interval);
          expect(boundary % interval).toBe(0);
          expect(boundary).toBeGreaterThan(now);
          expect(boundary - interval).toBeLessThanOrEqual(now);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('nextClosing', () => {
  it('closes a fixed delay after each boundary, never at a past one', () => {
    expect(nextClosing(10_000, 1000, 400)).toBe(10_400);
    expect(nextClosing(10_399, 1000, 400)).toBe(10_400);
    expect(nextClosing(10_400, 1000, 400)).toBe(11_400);
    expect(nextClosing(10_401, 1000, 0)).toBe(11_000);
  });
});
