import { describe, expect, it } from 'vitest';
import {
  RowValueError,
  toBigInt,
  toBoolean,
  toBytes,
  toBytesList,
  toOptionalBytes,
  toOptionalSafeInteger,
  toOptionalText,
  toSafeInteger,
  toText,
} from './row-values.js';

describe('checked row decoders', () => {
  it('decode what the column holds', () => {
    expect(toSafeInteger(12n, 'k')).toBe(12);
    expect(toSafeInteger('12', 'k')).toBe(12);
    expect(toSafeInteger(12, 'k')).toBe(12);
    expect(toOptionalSafeInteger(null, 'seal_seq')).toBeUndefined();
    expect(toBigInt('9007199254740993', 'at_us')).toBe(9007199254740993n);
    expect(toBytes(Buffer.from([1, 2]), 'leaf')).toEqual(new Uint8Array([1, 2]));
    expect(toOptionalBytes(null, 'leaf')).toBeUndefined();
    expect(toBytesList([Buffer.from([3])], 'event_ids')).toEqual([new Uint8Array([3])]);
    expect(toText('acme', 'tenant')).toBe('acme');
    expect(toOptionalText(null, 'note')).toBeUndefined();
    expect(toBoolean(true, 'verified')).toBe(true);
  });

  it.each([
    ['a bigint past 2^53', () => toSafeInteger(2n ** 53n, 'size')],
    ['NULL as an integer', () => toSafeInteger(null, 'size')],
    ['an empty string as an integer', () => toSafeInteger('', 'size')],
    ['text as an integer', () => toSafeInteger('12a', 'size')],
    ['a fraction as a bigint', () => toBigInt(1.5, 'at_us')],
    ['text as bytes', () => toBytes('abc', 'leaf')],
    ['NULL as bytes', () => toBytes(null, 'leaf')],
    ['a list holding text as bytes', () => toBytesList([Buffer.from([1]), 'x'], 'event_ids')],
    ['a number as text', () => toText(3, 'tenant')],
    ['text as a boolean', () => toBoolean('t', 'verified')],
  ])('refuse %s, naming the column', (_, decode) => {
    expect(decode).toThrow(RowValueError);
    expect(decode).toThrow(/^column [\w[\]]+: /);
  });
});
