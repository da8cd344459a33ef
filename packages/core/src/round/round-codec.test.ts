import { portableHasher } from '@msi/merkle';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import rounds from '../../testdata/rounds.json' with { type: 'json' };
import { decodeRound, encodeRound, ROUND_RECORD_SIZE, roundLeafHash } from './round-codec.js';
import { RoundError, type RoundErrorCode } from './round-error.js';
import { EMPTY_ROUND_ROOT, type RoundRecord } from './round-record.js';

const hasher = portableHasher();
const recordOf = (json: (typeof rounds.vectors)[number]['record']): RoundRecord => ({
  ...json,
  root: hexToBytes(json.root),
});
const u64 = (n: number): string => n.toString(16).padStart(16, '0');
const u32 = (n: number): string => n.toString(16).padStart(8, '0');
const vector = (name: string) => {
  const found = rounds.vectors.find((v) => v.name === name);
  if (found === undefined) throw new Error(`no vector ${name}`);
  return found;
};

function failure(action: () => unknown): { code: RoundErrorCode; field: string } | undefined {
  try {
    action();
  } catch (error) {
    if (error instanceof RoundError) return { code: error.code, field: error.field };
    throw error;
  }
  return undefined;
}

describe('round records against testdata/rounds.json', () => {
  it.each(rounds.vectors)('$name: record → bytes → leaf hash, and back', ({ record, bytes, leafHash }) => {
    const encoded = encodeRound(recordOf(record));
    expect(bytesToHex(encoded)).toBe(bytes);
    expect(encoded.length).toBe(ROUND_RECORD_SIZE);
    expect(bytesToHex(roundLeafHash(hasher, encoded))).toBe(leafHash);
    expect(decodeRound(encoded)).toEqual(recordOf(record));
  });

  it('round-0-empty assembled by hand from docs/PROOFS.md §6', () => {
    const pieces = [
      '4d534952', // magic "MSIR"
      '01', // version
      u64(0), // round
      '0006367754160000', // closed_at 2025-06-01T00:00:00Z = 1748736000000000 µs
      '000003e8', // interval_ms 1000
      u64(0), // seals_start
      u64(0), // seals_end
      u32(0), // seal_count
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', // H("")
    ];
    expect(vector('round-0-empty').bytes).toBe(pieces.join(''));
    expect(vector('round-0-empty').leafHash).toBe(bytesToHex(sha256(hexToBytes(`00${pieces.join('')}`))));
    expect(Date.UTC(2025, 5, 1) * 1000).toBe(0x0006367754160000);
  });

  it('EMPTY_ROUND_ROOT is H("")', () => {
    expect(bytesToHex(EMPTY_ROUND_ROOT)).toBe(bytesToHex(hasher.emptyRoot()));
  });
});

describe('decodeRound rejects', () => {
  const valid = hexToBytes(vector('round-7').bytes);

  it('every truncation', () => {
    for (let length = 0; length < valid.length; length++) {
      expect(failure(() => decodeRound(valid.subarray(0, length)))?.code).toBe('ROUND_MALFORMED');
    }
  });

  const patched = (offset: number, hex: string): Uint8Array => {
    const bytes = valid.slice();
    bytes.set(hexToBytes(hex), offset);
    return bytes;
  };
  // Offsets: magic 0, version 4, round 5, closed_at 13, interval_ms 21, seals_start 25, seals_end 33,
  // seal_count 41, root 45. round-7 covers seals [20, 23), three of them.
  const cases: [string, () => Uint8Array, RoundErrorCode, string][] = [
    ['a trailing byte', () => Uint8Array.from([...valid, 0]), 'ROUND_MALFORMED', ''],
    ['the seal magic', () => patched(0, '4d534953'), 'ROUND_MALFORMED', 'magic'],
    ['version 0', () => patched(4, '00'), 'ROUND_MALFORMED', 'version'],
    ['a round above 2^53 - 1', () => patched(5, 'ffffffffffffffff'), 'ROUND_MALFORMED', 'round'],
    ['closed_at 0', () => patched(13, u64(0)), 'TIME_INVALID', 'closed_at'],
    ['interval_ms 0', () => patched(21, u32(0)), 'FIELD_RANGE', 'interval_ms'],
    ['seals_end < seals_start', () => patched(33, u64(19)), 'SEALS_RANGE', 'seals_end'],
    ['more seals than the range holds', () => patched(41, u32(4)), 'SEALS_RANGE', 'seal_count'],
    ['no seals in a non-empty range', () => patched(41, u32(0)), 'SEALS_RANGE', 'seal_count'],
    ['seals in an empty range', () => patched(33, u64(20)), 'SEALS_RANGE', 'seal_count'],
  ];
  it.each(cases)('%s', (_name, bytes, code, field) => {
    expect(failure(() => decodeRound(bytes()))).toEqual({ code, field });
  });

  it('an empty round whose root is not H("")', () => {
    const empty = hexToBytes(vector('round-0-empty').bytes);
    empty[empty.length - 1] = (empty[empty.length - 1] ?? 0) ^ 1;
    expect(failure(() => decodeRound(empty))).toEqual({ code: 'EMPTY_ROOT', field: 'root' });
  });
});

describe('encodeRound validates', () => {
  const base = recordOf(vector('round-7').record);
  const cases: [string, Partial<RoundRecord>, RoundErrorCode, string][] = [
    ['round -1', { round: -1 }, 'FIELD_RANGE', 'round'],
    ['round 2^53', { round: 2 ** 53 }, 'FIELD_RANGE', 'round'],
    ['closed_at 0', { closedAt: 0 }, 'TIME_INVALID', 'closed_at'],
    ['closed_at 0.5', { closedAt: 0.5 }, 'TIME_INVALID', 'closed_at'],
    ['interval_ms 2^32', { intervalMs: 2 ** 32 }, 'FIELD_RANGE', 'interval_ms'],
    ['seals_start NaN', { sealsStart: Number.NaN }, 'FIELD_RANGE', 'seals_start'],
    ['seals_end 2^53', { sealsEnd: 2 ** 53 }, 'FIELD_RANGE', 'seals_end'],
    ['seal_count 2^32', { sealCount: 2 ** 32, sealsEnd: 2 ** 40 }, 'FIELD_RANGE', 'seal_count'],
    ['a root of 33 bytes', { root: new Uint8Array(33) }, 'ROOT_SIZE', 'root'],
  ];
  it.each(cases)('rejects %s', (_name, changes, code, field) => {
    expect(failure(() => encodeRound({ ...base, ...changes }))).toEqual({ code, field });
  });

  it('property: decode ∘ encode is the identity', () => {
    const counter = fc.integer({ min: 0, max: 2 ** 52 });
    const record = fc
      .record({
        round: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        closedAt: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        intervalMs: fc.integer({ min: 1, max: 2 ** 32 - 1 }),
        sealsStart: counter,
        extra: fc.nat({ max: 1000 }),
        sealCount: fc.nat({ max: 1000 }),
        root: fc.uint8Array({ minLength: 32, maxLength: 32 }),
      })
      .map(({ extra, ...r }) => ({
        ...r,
        sealsEnd: r.sealsStart + r.sealCount + (r.sealCount === 0 ? 0 : extra),
        root: r.sealCount === 0 ? EMPTY_ROUND_ROOT : r.root,
      }));
    fc.assert(
      fc.property(record, (r) => {
        expect(decodeRound(encodeRound(r))).toEqual(r);
      }),
      { numRuns: 200 },
    );
  });
});
