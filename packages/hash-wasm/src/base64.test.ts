import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBase64 } from './base64.js';

describe('decodeBase64', () => {
  it('decodes the RFC 4648 §10 vectors', () => {
    const vectors: [string, string][] = [
      ['', ''],
      ['Zg==', 'f'],
      ['Zm8=', 'fo'],
      ['Zm9v', 'foo'],
      ['Zm9vYg==', 'foob'],
      ['Zm9vYmE=', 'fooba'],
      ['Zm9vYmFy', 'foobar'],
    ];
    for (const [encoded, text] of vectors) {
      expect(decodeBase64(encoded)).toEqual(new TextEncoder().encode(text));
    }
  });

  it('inverts Buffer base64 encoding', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        expect(decodeBase64(Buffer.from(bytes).toString('base64'))).toEqual(bytes);
      }),
      { numRuns: 200 },
    );
  });

  it('rejects bad lengths and characters', () => {
    expect(() => decodeBase64('Zm9')).toThrow(/multiple of 4/);
    expect(() => decodeBase64('Zm9-')).toThrow(/character at 3/);
    expect(() => decodeBase64('Zé9v')).toThrow(/character at 1/);
  });
});
