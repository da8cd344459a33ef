import { describe, expect, it } from 'vitest';
import {
  RowValueError,
  toBytes,
  toBytesList,
  toOptionalSafeInteger,
  toSafeInteger,
  toText,
} from './row-values.js';

describe('checked row decoders', () => {
  it('decode what the column holds', () => {
    expect(toSafeInteger(12n, 'k')).toBe(12);
    expect(toSafeInteger('12', 'k')).toBe(12);
    expect(toSafeInteger(12, 'k')).toBe(12);
    expect(toOptionalSafeInteger(null, 'seal_seq')).toBeUndefined();
    expect(toBytes(Buffer.from([1, 2]), 'leaf')).toEqual(new Uint8Array([1, 2]));
    expect(toBytesList([Buffer.from([3])], 'event_ids')).toEqual([new Uint8Array([3])]);
    expect(toText('acme', 'tenant')).toBe('acme');
  });

  it.each([
    ['a bigint past 2^53', () => toSafeInteger(2n ** 53n, 'size')],
    ['NULL as an integer', () => toSafeInteger(null, 'size')],
    ['an empty string as an integer', () => toSafeInteger('', 'size')],
    ['text as an integer', () => toSafeInteger('12a', 'size')],
    ['text as bytes', () => toBytes('abc', 'leaf')],
    ['NULL as bytes', () => toBytes(null, 'leaf')],
    ['a list holding text as bytes', () => toBytesList([Buffer.from([1]), 'x'], 'event_ids')],
    ['a number as text', () => toText(3, 'tenant')],
  ])('refuse %s, naming the column', (_, decode) => {
    expect(decode).toThrow(RowValueError);
    expect(decode).toThrow(/^column [\w[\]]+: /);
  });
});
