import { describe, expect, it } from 'vitest';
import { integerArray, packedBytes, textDictionary } from './array-params.js';

describe('integerArray', () => {
  it('prints integers as an array literal, 2^53 − 1 and negatives included', () => {
    expect(integerArray([])).toBe('{}');
    expect(integerArray([1, -2, 0, Number.MAX_SAFE_INTEGER])).toBe('{1,-2,0,9007199254740991}');
  });

  it('refuses what would not print as an integer', () => {
    expect(() => integerArray([1.5])).toThrow(RangeError);
    expect(() => integerArray([Number.NaN])).toThrow(/NaN is not a safe integer/);
    expect(() => integerArray([2 ** 60])).toThrow(RangeError);
  });
});

describe('textDictionary', () => {
  it('sends each distinct value once, with a 1-based index per row', () => {
    expect(textDictionary(['acme', 'beta', 'acme', '', 'beta'])).toEqual({
      values: ['acme', 'beta', ''],
      index: '{1,2,1,3,2}',
    });
    expect(textDictionary([])).toEqual({ values: [], index: '{}' });
  });
});

describe('packedBytes', () => {
  it('concatenates values of one size in order, and refuses one of another size', () => {
    expect([...packedBytes([Uint8Array.of(1, 2), Uint8Array.of(3, 4), Uint8Array.of(5, 6)], 2)]).toEqual([
      1, 2, 3, 4, 5, 6,
    ]);
    expect(packedBytes([], 16).length).toBe(0);
    expect(() => packedBytes([Uint8Array.of(1, 2), Uint8Array.of(3)], 2)).toThrow(
      /value 1 is 1 bytes, not 2/,
    );
  });
});
