import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bitAt, bitLength, isPowerOfTwo, popCount, shiftRight, trailingZeros, xor } from './bits.js';

// Each helper against BigInt, which has no 32-bit truncation, over the whole safe-integer range.
const safe = fc.oneof(
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  fc.integer({ min: 0, max: 53 }).map((k) => 2 ** k),
  fc.integer({ min: 1, max: 53 }).map((k) => 2 ** k - 1),
  fc.integer({ min: 0, max: 2 ** 33 }),
);
const big = BigInt;

describe('53-bit helpers agree with BigInt', () => {
  it('shiftRight and bitAt', () => {
    fc.assert(
      fc.property(safe, fc.nat(60), (x, k) => {
        expect(shiftRight(x, k)).toBe(Number(big(x) >> big(k)));
        expect(bitAt(x, k)).toBe(Number((big(x) >> big(k)) & 1n));
      }),
    );
  });
  it('bitLength', () => {
    fc.assert(
      fc.property(safe, (x) => {
        expect(bitLength(x)).toBe(x === 0 ? 0 : big(x).toString(2).length);
      }),
    );
  });
  it('popCount', () => {
    fc.assert(
      fc.property(safe, (x) => {
        expect(popCount(x)).toBe(big(x).toString(2).replaceAll('0', '').length);
      }),
    );
  });
  it('trailingZeros', () => {
    fc.assert(
      fc.property(safe, (x) => {
        fc.pre(x > 0);
        const bits = big(x).toString(2);
        expect(trailingZeros(x)).toBe(bits.length - bits.replace(/0+$/, '').length);
      }),
    );
  });
  it('xor', () => {
    fc.assert(
      fc.property(safe, safe, (x, y) => {
        expect(xor(x, y)).toBe(Number(big(x) ^ big(y)));
      }),
    );
  });
  it('isPowerOfTwo', () => {
    fc.assert(
      fc.property(safe, (x) => {
        expect(isPowerOfTwo(x)).toBe(x > 0 && (big(x) & (big(x) - 1n)) === 0n);
      }),
    );
  });
});

describe('edges', () => {
  it.each([
    [0, 0, 0],
    [1, 1, 1],
    [2 ** 31, 32, 1],
    [2 ** 32, 33, 1],
    [2 ** 32 - 1, 32, 32],
    [Number.MAX_SAFE_INTEGER, 53, 53],
  ])('%d has bit length %d and %d set bits', (x, length, ones) => {
    expect(bitLength(x)).toBe(length);
    expect(popCount(x)).toBe(ones);
  });
  it('trailing zeros across the 32-bit boundary', () => {
    expect(trailingZeros(2 ** 31)).toBe(31);
    expect(trailingZeros(2 ** 32)).toBe(32);
    expect(trailingZeros(2 ** 52)).toBe(52);
    expect(trailingZeros(2 ** 52 + 2 ** 40)).toBe(40);
  });
});
