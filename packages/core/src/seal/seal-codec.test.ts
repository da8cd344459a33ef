import { portableHasher } from '@msi/merkle';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import events from '../../testdata/events.json' with { type: 'json' };
import seals from '../../testdata/seals.json' with { type: 'json' };
import { decodeSeal, encodeSeal, SEAL_RECORD_SIZE, sealLeafHash } from './seal-codec.js';
import { SealError, type SealErrorCode } from './seal-error.js';
import type { SealRecord } from './seal-record.js';

const hasher = portableHasher();
const vectorNamed = (name: string) => {
  const found = seals.vectors.find((v) => v.name === name);
  if (found === undefined) throw new Error(`no vector ${name}`);
  return found;
};
const recordOf = (json: (typeof seals.vectors)[number]['record']): SealRecord => ({
  ...json,
  root: hexToBytes(json.root),
});
const u64 = (n: number): string => n.toString(16).padStart(16, '0');

function failure(action: () => unknown): { code: SealErrorCode; field: string } | undefined {
  try {
    action();
  } catch (error) {
    if (error instanceof SealError) return { code: error.code, field: error.field };
    throw error;
  }
  return undefined;
}

describe('seal records against testdata/seals.json', () => {
  it.each(seals.vectors)('$name: record → bytes → leaf hash, and back', ({ record, bytes, leafHash }) => {
    const encoded = encodeSeal(recordOf(record));
    expect(bytesToHex(encoded)).toBe(bytes);
    expect(encoded.length).toBe(SEAL_RECORD_SIZE);
    expect(bytesToHex(sealLeafHash(hasher, encoded))).toBe(leafHash);
    expect(decodeSeal(encoded)).toEqual(recordOf(record));
  });

  it('shard-0-seal-0 assembled by hand from docs/PROOFS.md §5', () => {
    const event = events.vectors.find((v) => v.name === 'store-minimal');
    // A tree of one leaf has the leaf hash as its root: H(0x00 || canonical event bytes).
    const root = bytesToHex(sha256(hexToBytes(`00${event?.canonical}`)));
    const pieces = [
      '4d534953', // magic "MSIS"
      '01', // version
      '00000000', // shard 0
      u64(0), // seal_number
      u64(1), // stream_start
      u64(2), // stream_end
      u64(1), // leaf_count
      '0005d8a044ab5781', // max_received_at: received_at of store-minimal, 1645557742000001 µs
      root,
    ];
    const vector = seals.vectors.find((v) => v.name === 'shard-0-seal-0');
    expect(vector?.bytes).toBe(pieces.join(''));
    expect(vector?.leafHash).toBe(bytesToHex(sha256(hexToBytes(`00${pieces.join('')}`))));
  });
});

describe('decodeSeal rejects', () => {
  const valid = hexToBytes(vectorNamed('shard-3-seal-41').bytes);

  it('every truncation', () => {
    for (let length = 0; length < valid.length; length++) {
      expect(failure(() => decodeSeal(valid.subarray(0, length)))?.code).toBe('SEAL_MALFORMED');
    }
  });

  /** `valid` with the bytes at `offset` replaced by `hex`. */
  const patched = (offset: number, hex: string): Uint8Array => {
    const bytes = valid.slice();
    bytes.set(hexToBytes(hex), offset);
    return bytes;
  };
  // Offsets: magic 0, version 4, shard 5, seal_number 9, stream_start 17, stream_end 25, leaf_count 33,
  // max_received_at 41, root 49.
  const cases: [string, () => Uint8Array, SealErrorCode, string][] = [
    ['a trailing byte', () => Uint8Array.from([...valid, 0]), 'SEAL_MALFORMED', ''],
    ['the event magic', () => patched(0, '4d534945'), 'SEAL_MALFORMED', 'magic'],
    ['version 2', () => patched(4, '02'), 'SEAL_MALFORMED', 'version'],
    ['a seal_number above 2^53 - 1', () => patched(9, 'ffffffffffffffff'), 'SEAL_MALFORMED', 'seal_number'],
    ['stream_start = stream_end', () => patched(17, u64(1005)), 'STREAM_RANGE', 'stream_end'],
    ['stream_start > stream_end', () => patched(25, u64(999)), 'STREAM_RANGE', 'stream_end'],
    ['leaf_count 0', () => patched(33, u64(0)), 'EMPTY_SEAL', 'leaf_count'],
    ['max_received_at 0', () => patched(41, u64(0)), 'TIME_INVALID', 'max_received_at'],
  ];
  it.each(cases)('%s', (_name, bytes, code, field) => {
    expect(failure(() => decodeSeal(bytes()))).toEqual({ code, field });
  });
});

describe('encodeSeal validates', () => {
  const base = recordOf(vectorNamed('shard-3-seal-41').record);
  const cases: [string, Partial<SealRecord>, SealErrorCode, string][] = [
    ['shard 2^32', { shard: 2 ** 32 }, 'FIELD_RANGE', 'shard'],
    ['shard -1', { shard: -1 }, 'FIELD_RANGE', 'shard'],
    ['seal_number 1.5', { sealNumber: 1.5 }, 'FIELD_RANGE', 'seal_number'],
    ['stream_start 2^53', { streamStart: 2 ** 53 }, 'FIELD_RANGE', 'stream_start'],
    ['stream_end NaN', { streamEnd: Number.NaN }, 'FIELD_RANGE', 'stream_end'],
    ['stream_start = stream_end', { streamStart: 7, streamEnd: 7 }, 'STREAM_RANGE', 'stream_end'],
    ['leaf_count -1', { leafCount: -1 }, 'FIELD_RANGE', 'leaf_count'],
    ['leaf_count 0', { leafCount: 0 }, 'EMPTY_SEAL', 'leaf_count'],
    ['max_received_at 0', { maxReceivedAt: 0 }, 'TIME_INVALID', 'max_received_at'],
    ['a root of 31 bytes', { root: new Uint8Array(31) }, 'ROOT_SIZE', 'root'],
  ];
  it.each(cases)('rejects %s', (_name, changes, code, field) => {
    expect(failure(() => encodeSeal({ ...base, ...changes }))).toEqual({ code, field });
  });

  it('property: decode ∘ encode is the identity', () => {
    const counter = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER - 1 });
    const record = fc
      .record({
        shard: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        sealNumber: counter,
        streamStart: counter,
        span: fc.integer({ min: 1, max: 1000 }),
        leafCount: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        maxReceivedAt: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        root: fc.uint8Array({ minLength: 32, maxLength: 32 }),
      })
      .map(({ span, ...r }) => ({
        ...r,
        streamEnd: Math.min(r.streamStart + span, Number.MAX_SAFE_INTEGER),
      }));
    fc.assert(
      fc.property(record, (r) => {
        expect(decodeSeal(encodeSeal(r))).toEqual(r);
      }),
      { numRuns: 200 },
    );
  });
});
