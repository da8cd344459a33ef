import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareBytes } from './bytes.js';
import { decodeUtf8, encodeUtf8, isWellFormedText, utf8Length } from './utf8.js';

describe('utf8Length', () => {
  it.each([
    ['', 0],
    ['a', 1],
    ['é', 2],
    ['日', 3],
    ['🎵', 4],
    ['a\u07ff\u0800\uffff', 1 + 2 + 3 + 3],
  ])('%j is %i bytes', (text, length) => {
    expect(utf8Length(text)).toBe(length);
  });

  it.each(['\ud800', '\udc00', 'a\ud83d', '\ude00\ud83d'])(
    'is undefined for the lone surrogate in %j',
    (text) => {
      expect(utf8Length(text)).toBeUndefined();
      expect(isWellFormedText(text)).toBe(false);
    },
  );

  it('agrees with TextEncoder on well-formed text (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 30 }), (text) => {
        expect(utf8Length(text)).toBe(new TextEncoder().encode(text).length);
      }),
      { numRuns: 200 },
    );
  });
});

describe('encodeUtf8 / decodeUtf8', () => {
  it('round-trip well-formed text (property)', () => {
    const text = fc.string({ unit: 'binary', maxLength: 30 }).filter(isWellFormedText);
    fc.assert(
      fc.property(text, (t) => {
        expect(decodeUtf8(encodeUtf8(t))).toBe(t);
      }),
      { numRuns: 200 },
    );
  });

  it('reject a leading BOM both ways, but keep an inner one', () => {
    expect(() => encodeUtf8('\ufeffa')).toThrow(/BOM/);
    expect(() => decodeUtf8(Uint8Array.of(0xef, 0xbb, 0xbf, 0x61))).toThrow(/byte order mark/);
    expect(decodeUtf8(Uint8Array.of(0x61, 0xef, 0xbb, 0xbf))).toBe('a\ufeff');
  });
});

describe('compareBytes', () => {
  it.each([
    [[], [], 0],
    [[1], [], 1],
    [[1, 2], [1, 3], -1],
    [[0xff], [0x00, 0x00], 1],
  ])('%j vs %j', (a, b, sign) => {
    expect(Math.sign(compareBytes(Uint8Array.from(a), Uint8Array.from(b)))).toBe(sign);
  });
});
