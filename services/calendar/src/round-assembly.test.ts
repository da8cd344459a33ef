import { decodeRound, encodeRound, RoundError } from '@msi/core';
import { merkleRoot } from '@msi/merkle';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasher, makeSeal } from './fixtures.test-helper.js';
import { assembleRound, closedAtFor, sealsEndFor } from './round-assembly.js';

describe('closedAtFor', () => {
  const seal = (maxReceivedAt: number) => makeSeal(0, 0, maxReceivedAt);
  it.each([
    ['the clock when it is ahead of everything', 5_000, 4_000, [1_000], 5_000],
    ['previous + 1 when the clock stepped back', 5_000, 7_000, [], 7_001],
    ['previous + 1 when the clock equals the previous', 7_000, 7_000, [], 7_001],
    ['the largest max_received_at when ingest is ahead', 5_000, 4_000, [6_000, 9_000, 8_000], 9_000],
    ['the clock for round 0', 5_000, null, [], 5_000],
    ['a whole number of µs', 5_000.7, null, [], 5_000],
  ] as const)('is %s', (_name, now, previous, received, want) => {
    expect(closedAtFor(now, previous, received.map(seal))).toBe(want);
  });

  it('is strictly after the previous and covers every seal, for any inputs', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 50 }),
        fc.option(fc.integer({ min: 1, max: 2 ** 50 }), { nil: null }),
        fc.array(fc.integer({ min: 1, max: 2 ** 50 }), { maxLength: 4 }),
        (now, previous, received) => {
          const closedAt = closedAtFor(now, previous, received.map(seal));
          expect(closedAt).toBeGreaterThanOrEqual(now);
          if (previous !== null) expect(closedAt).toBeGreaterThan(previous);
          for (const r of received) expect(closedAt).toBeGreaterThanOrEqual(r);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('sealsEndFor', () => {
  it('is the stream end when the round has seals', () => expect(sealsEndFor(10, 14, 3)).toBe(14));
  it('leaves a range without seals for the next round', () => expect(sealsEndFor(10, 14, 0)).toBe(10));
  it('never goes below the start (a recreated stream)', () => expect(sealsEndFor(10, 3, 0)).toBe(10));
});

describe('assembleRound', () => {
  const context = { round: 4, previousClosedAt: 10_000, sealsStart: 21, intervalMs: 1000 };
  const seals = [makeSeal(2, 5, 9_000), makeSeal(0, 8, 10_500), makeSeal(1, 3, 9_500)];

  it('covers the stream range with the seals in (shard, seal_number) order', () => {
    const { record, orderedSeals } = assembleRound(hasher, context, 25, seals, 20_000);
    expect(record).toMatchObject({
      round: 4,
      closedAt: 20_000,
      intervalMs: 1000,
      sealsStart: 21,
      sealsEnd: 25,
    });
    expect(record.sealCount).toBe(3);
    expect(orderedSeals.map((s) => s.record.shard)).toEqual([0, 1, 2]);
    expect(record.root).toEqual(
      merkleRoot(
        hasher,
        orderedSeals.map((s) => s.bytes),
      ),
    );
    expect(decodeRound(encodeRound(record))).toEqual(record);
  });

  it('closes an empty round (a heartbeat) with root H("") and an empty range', () => {
    const { record } = assembleRound(hasher, context, 25, [], 20_000);
    expect(record).toMatchObject({ sealsStart: 21, sealsEnd: 21, sealCount: 0 });
    expect(record.root).toEqual(hasher.emptyRoot());
  });

  it('closes round 0 from seal sequence 1', () => {
    const first = { round: 0, previousClosedAt: null, sealsStart: 1, intervalMs: 500 };
    const { record } = assembleRound(hasher, first, 1, [], 1_000);
    expect(record).toMatchObject({ round: 0, sealsStart: 1, sealsEnd: 1, closedAt: 1_000 });
  });

  it('refuses duplicates (the caller must select seals first)', () => {
    const twice = [seals[0], seals[0]].filter((s) => s !== undefined);
    expect(() => assembleRound(hasher, context, 25, twice, 20_000)).toThrow(RoundError);
  });
});
