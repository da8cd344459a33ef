import { describe, expect, it } from 'vitest';
import { integerArray, PackedColumn, packedBytes, textDictionary } from './array-params.js';

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

describe('PackedColumn', () => {
  it('packs values of any sizes with 1-based starts and lengths, as the three parameters', () => {
    const column = new PackedColumn();
    for (const value of [Uint8Array.of(1, 2, 3), new Uint8Array(0), Uint8Array.of(4)]) column.push(value);
    const [bytes, starts, lengths] = column.parameters();
    expect([...bytes]).toEqual([1, 2, 3, 4]);
    expect(starts).toBe('{1,4,4}');
    expect(lengths).toBe('{3,0,1}');
    expect(column.at(2)).toEqual(Uint8Array.of(4));
  });
});
