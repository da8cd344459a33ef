import { describe, expect, it } from 'vitest';
import { holdsLease, publicationTime } from './publication-schedule.js';
import { nextBoundary } from './schedule.js';

describe('publicationTime', () => {
  it('rounds down to whole seconds', () => {
    expect(publicationTime(1_700_000_000_999)).toBe(1_700_000_000);
    expect(publicationTime(1_700_000_001_000)).toBe(1_700_000_001);
  });

  it('is strictly increasing across successive daily boundaries (midnight UTC)', () => {
    const day = 86_400_000;
    const first = nextBoundary(Date.UTC(2026, 10, 25, 13, 5), day);
    expect(new Date(first).toISOString()).toBe('2026-11-26T00:00:00.000Z');
    const second = nextBoundary(first + 5_000, day);
    expect(publicationTime(second) - publicationTime(first)).toBe(86_400);
  });
});

describe('holdsLease', () => {
  const now = 10_000;
  it('is true only for the owner of a lease that has not expired', () => {
    expect(holdsLease({ owner: 'a', leaseUntilMs: now + 1 }, 'a', now)).toBe(true);
    expect(holdsLease({ owner: 'a', leaseUntilMs: now }, 'a', now)).toBe(false);
    expect(holdsLease({ owner: 'b', leaseUntilMs: now + 5000 }, 'a', now)).toBe(false);
    expect(holdsLease({ owner: null, leaseUntilMs: 0 }, 'a', now)).toBe(false);
  });
});
