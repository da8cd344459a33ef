import { CompactRange, portableHasher } from '@msi/merkle';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isWellFormedText } from '../encoding/index.js';
import { FollowerError, type FollowerErrorCode } from './follower-error.js';
import { emptyFollowerState, type FollowerState } from './follower-state.js';
import {
  packCompactRange,
  packFollowerState,
  unpackCompactRange,
  unpackFollowerState,
} from './follower-storage.js';

const hasher = portableHasher();

function rangeOf(size: number): CompactRange {
  const range = new CompactRange(hasher);
  for (let i = 0; i < size; i++) range.append(hasher.hashLeaf(Uint8Array.of(i & 0xff, i >> 8)));
  return range;
}

function codeOf(action: () => unknown): FollowerErrorCode | undefined {
  try {
    action();
  } catch (error: unknown) {
    if (error instanceof FollowerError) return error.code;
    throw error;
  }
  return undefined;
}

/** What a state holds, comparable with toEqual (the range by size, root and hashes). */
const plain = (state: FollowerState) => ({
  ...state,
  range: { size: state.range.size, root: state.range.root(), hashes: state.range.hashes() },
});

describe('packCompactRange / unpackCompactRange', () => {
  it('round-trip ranges of every size up to 70', () => {
    for (let size = 0; size <= 70; size++) {
      const range = rangeOf(size);
      const back = unpackCompactRange(hasher, size, packCompactRange(range));
      expect(back.hashes()).toEqual(range.hashes());
      expect(back.root()).toEqual(range.root());
    }
  });

  it('refuse a ragged byte string and a hash count that is not popcount(size)', () => {
    expect(codeOf(() => unpackCompactRange(hasher, 1, new Uint8Array(33)))).toBe('STATE_MALFORMED');
    expect(codeOf(() => unpackCompactRange(hasher, 3, new Uint8Array(32)))).toBe('STATE_MALFORMED');
    expect(codeOf(() => unpackCompactRange(hasher, -1, new Uint8Array(0)))).toBe('STATE_MALFORMED');
  });
});

describe('packFollowerState / unpackFollowerState', () => {
  it('round-trip the empty state, with and without what the calendar knows', () => {
    for (const state of [
      emptyFollowerState(hasher),
      emptyFollowerState(hasher, { intervalMs: 1000, origin: 'calendar.test' }),
    ]) {
      expect(plain(unpackFollowerState(hasher, packFollowerState(state)))).toEqual(plain(state));
    }
  });

  it('property: unpack ∘ pack is the identity', () => {
    const nullable = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null });
    const state = fc
      .record({
        size: fc.nat({ max: 300 }),
        lastClosedAt: nullable(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })),
        sealsEnd: nullable(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })),
        intervalMs: nullable(fc.integer({ min: 0, max: 2 ** 32 - 1 })),
        origin: fc.string({ maxLength: 40 }).filter(isWellFormedText),
      })
      .map(({ size, ...rest }) => ({ ...rest, size, range: rangeOf(size) }));
    fc.assert(
      fc.property(state, (s) => {
        expect(plain(unpackFollowerState(hasher, packFollowerState(s)))).toEqual(plain(s));
      }),
      { numRuns: 100 },
    );
  });

  const packed = packFollowerState({ ...emptyFollowerState(hasher), size: 3, range: rangeOf(3) });
  const cases: [string, () => Uint8Array][] = [
    ['no bytes', () => new Uint8Array(0)],
    ['another magic', () => Uint8Array.from(packed, (byte, i) => (i === 0 ? 0x41 : byte))],
    ['another version', () => Uint8Array.from(packed, (byte, i) => (i === 4 ? 2 : byte))],
    ['unknown flag bits', () => Uint8Array.from(packed, (byte, i) => (i === 5 ? 0x08 : byte))],
    ['a truncated range', () => packed.subarray(0, packed.length - 1)],
    ['a hash too many', () => Uint8Array.from([...packed, ...new Uint8Array(32)])],
  ];
  it.each(cases)('refuse %s (STATE_MALFORMED)', (_name, bytes) => {
    expect(codeOf(() => unpackFollowerState(hasher, bytes()))).toBe('STATE_MALFORMED');
  });
});
