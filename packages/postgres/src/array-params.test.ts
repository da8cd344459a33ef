import { describe, expect, it } from 'vitest';
import { integerArray, textDictionary } from './array-params.js';

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
