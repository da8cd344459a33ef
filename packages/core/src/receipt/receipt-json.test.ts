// receiptToJson writes the receipt's canonical text directly: it must be, byte for byte, the generic
// RFC 8785 serialiser's text of the receipt's JSON value, for every shape a receipt can take, and the
// stored v1 vectors must come out as they are on disk.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, JsonError } from '../json/index.js';
import type { Receipt, ReceiptProof } from './receipt.js';
import { parseReceiptJson, receiptToJson, receiptToValue } from './receipt-json.js';

const bytes = (max: number) => fc.uint8Array({ minLength: 0, maxLength: max });
const proof: fc.Arbitrary<ReceiptProof> = fc.record({
  leafIndex: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
  treeSize: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
  hashes: fc.array(bytes(40), { maxLength: 70 }),
});
// Texts with quotes, backslashes, controls, non-ASCII and astral characters (all escaped or not as
// RFC 8785 says), never a lone surrogate (which no receipt can hold: canonicalJson refuses it).
const text = fc.string({ unit: 'grapheme', maxLength: 300 });
const receipt: fc.Arbitrary<Receipt> = fc
  .record({
    event: bytes(600),
    eventProof: proof,
    seal: bytes(300),
    sealProof: proof,
    round: bytes(300),
    roundProof: proof,
    checkpoint: text,
    extension: fc.option(
      fc.record({ checkpoint: text, consistency: fc.array(bytes(40), { maxLength: 40 }) }),
      {
        nil: undefined,
      },
    ),
  })
  .map(({ extension, ...rest }) => ({
    version: 1,
    ...rest,
    ...(extension === undefined ? {} : { extension }),
  }));

describe('receiptToJson', () => {
  it('writes exactly canonicalJson of the receipt value, for any receipt', () => {
    fc.assert(
      fc.property(receipt, (r) => {
        expect(receiptToJson(r)).toBe(canonicalJson(receiptToValue(r)));
      }),
      { numRuns: 400 },
    );
  });

  it('writes each stored v1 receipt vector as it is on disk', () => {
    const root = fileURLToPath(new URL('../../testdata/receipts/', import.meta.url));
    const files = ['valid/', 'invalid/'].flatMap((sub) =>
      readdirSync(`${root}${sub}`)
        .filter((name) => name.endsWith('.json'))
        .map((name) => `${sub}${name}`),
    );
    const dir = root;
    let parsed = 0;
    for (const name of files) {
      const file = readFileSync(`${dir}${name}`);
      let value: Receipt;
      try {
        value = parseReceiptJson(file);
      } catch {
        continue; // a vector of a malformed or non-canonical receipt file: nothing to write back
      }
      // A receipt file is the text, optionally followed by one newline (docs/PROOFS.md §8).
      expect(`${receiptToJson(value)}\n`, name).toBe(file.toString('utf8'));
      parsed++;
    }
    expect(parsed).toBeGreaterThan(50);
  });

  it('refuses what canonicalJson refuses: a lone surrogate in a checkpoint, a number that is not finite', () => {
    const base: Receipt = {
      version: 1,
      event: new Uint8Array([1]),
      eventProof: { leafIndex: 0, treeSize: 1, hashes: [] },
      seal: new Uint8Array([2]),
      sealProof: { leafIndex: 0, treeSize: 1, hashes: [] },
      round: new Uint8Array([3]),
      roundProof: { leafIndex: 0, treeSize: 1, hashes: [] },
      checkpoint: 'origin\n1\nAAAA\n',
    };
    expect(() => receiptToJson({ ...base, checkpoint: 'a\ud800b' })).toThrow(JsonError);
    expect(() => receiptToJson({ ...base, extension: { checkpoint: '\udc00', consistency: [] } })).toThrow(
      JsonError,
    );
    expect(() =>
      receiptToJson({ ...base, sealProof: { leafIndex: Number.NaN, treeSize: 1, hashes: [] } }),
    ).toThrow(JsonError);
    expect(receiptToJson(base)).toBe(canonicalJson(receiptToValue(base)));
  });
});
