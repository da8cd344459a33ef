import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBase64, encodeBase64 } from './base64.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('base64', () => {
  // RFC 4648 §10 test vectors.
  const vectors: [string, string][] = [
    ['', ''],
    ['f', 'Zg=='],
    ['fo', 'Zm8='],
    ['foo', 'Zm9v'],
    ['foob', 'Zm9vYg=='],
    ['fooba', 'Zm9vYmE='],
    ['foobar', 'Zm9vYmFy'],
  ];

  it.each(vectors)('encodes and decodes the RFC 4648 vector %j', (plain, encoded) => {
    expect(encodeBase64(ascii(plain))).toBe(encoded);
    expect(decodeBase64(encoded)).toEqual(ascii(plain));
  });

  it('round-trips any bytes and matches Node', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        const text = encodeBase64(bytes);
        expect(text).toBe(Buffer.from(bytes).toString('base64'));
        expect(decodeBase64(text)).toEqual(bytes);
      }),
      { numRuns: 200 },
    );
  });

  it.each([
    ['missing padding', 'Zg'],
    ['missing one pad', 'Zg='],
    ['extra padding', 'Zm9v===='],
    ['padding inside', 'Zg==Zg=='],
    ['non-zero unused bits (1 byte)', 'Zh=='],
    ['non-zero unused bits (2 bytes)', 'Zm9='],
    ['URL-safe alphabet', 'a-_b'],
    ['white space', 'Zm9v Zm9v'],
    ['line break', 'Zm9v\nZm9v'],
    ['non-ASCII', 'Zm9\u00e9'],
    ['three pads', 'Z==='],
  ])('rejects %s', (_, text) => {
    expect(decodeBase64(text)).toBeUndefined();
  });

  it('accepts exactly one text per byte string', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.nat(), fc.nat(255), (bytes, at, to) => {
        const text = encodeBase64(bytes);
        const i = at % text.length;
        const mutated = text.slice(0, i) + String.fromCharCode(to) + text.slice(i + 1);
        fc.pre(mutated !== text);
        const decoded = decodeBase64(mutated);
        if (decoded !== undefined) expect(decoded).not.toEqual(bytes);
      }),
      { numRuns: 300 },
    );
  });
});
