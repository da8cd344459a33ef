import { generateNoteKey, NOTE_ALG_COSIGNATURE_V1 } from '@msi/core';
import { describe, expect, it } from 'vitest';
import { testKey } from './fixtures.test-helper.js';
import { parseWitnessList } from './witness-list.js';

const w1 = generateNoteKey('witness.one', new Uint8Array(32).fill(7), NOTE_ALG_COSIGNATURE_V1);
const w2 = generateNoteKey('witness.two', new Uint8Array(32).fill(8), NOTE_ALG_COSIGNATURE_V1);

describe('parseWitnessList', () => {
  it('reads url=key pairs (trailing slashes dropped, empty items ignored)', () => {
    const { witnesses, problems } = parseWitnessList(
      ` http://127.0.0.1:7380/=${w1.verifierKey}, ,https://w.example/msi=${w2.verifierKey}`,
    );
    expect(problems).toEqual([]);
    expect(witnesses.map((w) => [w.name, w.url, w.key.algorithm])).toEqual([
      ['witness.one', 'http://127.0.0.1:7380', NOTE_ALG_COSIGNATURE_V1],
      ['witness.two', 'https://w.example/msi', NOTE_ALG_COSIGNATURE_V1],
    ]);
    expect(parseWitnessList('')).toEqual({ witnesses: [], problems: [] });
  });

  it('names every bad item', () => {
    const { witnesses, problems } = parseWitnessList(
      [
        `ftp://x=${w1.verifierKey}`,
        `http://a=${testKey().verifierKey}`,
        'http://b=not-a-key',
        'no-key',
        `http://c=${w2.verifierKey}`,
        `http://d=${w2.verifierKey}`,
      ].join(','),
    );
    expect(witnesses.map((w) => w.url)).toEqual(['http://c']);
    expect(problems).toHaveLength(5);
    expect(problems[0]).toMatch(/witness 1: .*not an http/);
    expect(problems[1]).toMatch(/witness 2: .*not a witness \(0x04\)/);
    expect(problems[2]).toMatch(/witness 3: .*not a valid verifier key/);
    expect(problems[3]).toMatch(/witness 4: want <url>=<verifier key>/);
    expect(problems[4]).toMatch(/witness 6: .*given twice/);
  });
});
