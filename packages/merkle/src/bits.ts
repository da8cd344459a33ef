/**
 * Bit arithmetic on JS numbers that are safe integers (0 <= x <= 2^53 - 1).
 *
 * JavaScript's bitwise operators truncate to 32 bits, so tree sizes and indices beyond 2^31 cannot use
 * them directly. These helpers split a number into a high and a low 32-bit half where needed. Every
 * function assumes its arguments are safe non-negative integers; callers check that first.
 */

const TWO_POW_32 = 2 ** 32;

/** floor(x / 2^k), i.e. x >> k without 32-bit truncation. */
export function shiftRight(x: number, k: number): number {
  return Math.floor(x / 2 ** k);
}

/** Bit `k` of x (0 or 1). */
export function bitAt(x: number, k: number): number {
  return shiftRight(x, k) % 2;
}

/** The number of bits needed to write x: 0 for 0, 1 for 1, 3 for 5, 53 for 2^53 - 1. */
export function bitLength(x: number): number {
  if (x >= TWO_POW_32) return 32 + bitLength(Math.floor(x / TWO_POW_32));
  return 32 - Math.clz32(x);
}

/** The number of set bits in x. */
export function popCount(x: number): number {
  return popCount32(x >>> 0) + popCount32(Math.floor(x / TWO_POW_32));
}

/** The number of trailing zero bits of x. Precondition: x > 0. */
export function trailingZeros(x: number): number {
  const low = x >>> 0;
  if (low === 0) return 32 + trailingZeros(Math.floor(x / TWO_POW_32));
  return 31 - Math.clz32(low & -low);
}

/** x XOR y over all 53 bits. */
export function xor(x: number, y: number): number {
  const high = Math.floor(x / TWO_POW_32) ^ Math.floor(y / TWO_POW_32);
  return high * TWO_POW_32 + ((x ^ y) >>> 0);
}

/** True if x is 2^k for some k >= 0. */
export function isPowerOfTwo(x: number): boolean {
  return x > 0 && popCount(x) === 1;
}

function popCount32(v: number): number {
  let n = v - ((v >>> 1) & 0x55555555);
  n = (n & 0x33333333) + ((n >>> 2) & 0x33333333);
  return (((n + (n >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}
