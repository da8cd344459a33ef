import { describe, expect, it } from 'vitest';
import { type CborValue, decodeCbor, encodeCbor } from './cbor.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const unhex = (text: string) => new Uint8Array(Buffer.from(text, 'hex'));

// Examples of RFC 8949 Appendix A within what MSI encodes (integers, strings, arrays, maps, tags, null).
const EXAMPLES: [CborValue, string][] = [
  [0, '00'],
  [23, '17'],
  [24, '1818'],
  [100, '1864'],
  [1000, '1903e8'],
  [1000000, '1a000f4240'],
  [1000000000000, '1b000000e8d4a51000'],
  [-1, '20'],
  [-100, '3863'],
  [-1000, '3903e7'],
  [new Uint8Array([1, 2, 3, 4]), '4401020304'],
  ['', '60'],
  ['IETF', '6449455446'],
  ['ü', '62c3bc'],
  ['水', '63e6b0b4'],
  [[], '80'],
  [[1, [2, 3], [4, 5]], '8301820203820405'],
  [
    new Map([
      [1, 2],
      [3, 4],
    ]),
    'a201020304',
  ],
  [
    new Map<string, CborValue>([
      ['a', 1],
      ['b', [2, 3]],
    ]),
    'a26161016162820203',
  ],
  [null, 'f6'],
  [{ tag: 1, value: 1363896240 }, 'c11a514b67b0'],
];

describe('deterministic CBOR', () => {
  it('encodes and decodes the RFC 8949 examples', () => {
    for (const [value, bytes] of EXAMPLES) {
      expect(hex(encodeCbor(value))).toBe(bytes);
      expect(decodeCbor(unhex(bytes))).toEqual(value);
    }
  });

  it('orders map keys by their encoded bytes, whatever the insertion order', () => {
    const map = new Map<number, CborValue>([
      [-65537, 0],
      [396, 0],
      [-1, 0],
      [10, 0],
      [1, 0],
    ]);
    // 01 < 0a < 19018c (396) < 20 (-1) < 3a00010000 (-65537): bytes, not numbers
    expect(hex(encodeCbor(map))).toBe('a501000a00' + '19018c00' + '2000' + '3a0001000000');
  });

  it('refuses every other encoding of a value and what MSI never writes', () => {
    for (const [bytes, why] of [
      ['1817', 'non-shortest integer'],
      ['190017', 'non-shortest integer'],
      ['5800', 'non-shortest length'],
      ['9fff', 'indefinite array'],
      ['5f40ff', 'indefinite byte string'],
      ['f93c00', 'float'],
      ['f5', 'true'],
      ['0000', 'trailing byte'],
      ['1b0020000000000000', '2^53'],
      ['3b0020000000000000', '-2^53 - 1'],
      ['1901', 'truncated'],
      ['9b00000000ffffffff', 'count beyond the input'],
      ['a203040102', 'keys out of order'],
      ['a201020102', 'repeated key'],
      ['a1400102', 'byte-string key'],
      ['62c328', 'text not UTF-8'],
      ['1c', 'reserved additional information'],
      ['81'.repeat(20) + '00', 'nested deeper than 16'],
    ]) {
      expect(() => decodeCbor(unhex(bytes as string)), why).toThrow(/CBOR/);
    }
  });

  it('refuses to encode what it cannot decode', () => {
    expect(() => encodeCbor(2 ** 53)).toThrow(/CBOR/);
    expect(() => encodeCbor(1.5)).toThrow(/CBOR/);
  });
});
