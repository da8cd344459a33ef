import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteReader } from './byte-reader.js';
import { ByteWriter } from './byte-writer.js';
import { EncodingError, type EncodingErrorCode } from './encoding-error.js';
import { readHeader, recordHeader, writeHeader } from './record-header.js';

function failure(action: () => unknown): { code: EncodingErrorCode; field: string } | undefined {
  try {
    action();
  } catch (error) {
    if (error instanceof EncodingError) return { code: error.code, field: error.field };
    throw error;
  }
  return undefined;
}

const reader = (hex: string): ByteReader => new ByteReader(hexToBytes(hex.replaceAll(' ', '')));

describe('ByteWriter', () => {
  it('writes every primitive big-endian, as docs/PROOFS.md §2 lists them', () => {
    const w = new ByteWriter(1); // grows from one byte
    w.u8(0xab).u16(0x0102).u32(0x03040506).u64(0x0708090a0b0c0d);
    w.time(2 ** 53 - 1)
      .bytes(Uint8Array.of(0xee, 0xff), 2)
      .str('hé');
    w.imprint({ algorithm: 'sha224', digest: new Uint8Array(28).fill(0x11) }).count(3);
    const expected = [
      'ab',
      '0102',
      '03040506',
      '000708090a0b0c0d',
      '001fffffffffffff',
      'eeff',
      '0003 68c3a9',
      `1d 03 ${'11'.repeat(28)}`,
      '0003',
    ];
    expect(bytesToHex(w.finish())).toBe(expected.join('').replaceAll(' ', ''));
    expect(w.length).toBe(w.finish().length);
  });

  // [name, write, code]
  const rejections: [string, (w: ByteWriter) => unknown, EncodingErrorCode][] = [
    ['u8 256', (w) => w.u8(256), 'OUT_OF_RANGE'],
    ['u8 -1', (w) => w.u8(-1), 'OUT_OF_RANGE'],
    ['u16 65536', (w) => w.u16(65536), 'OUT_OF_RANGE'],
    ['u32 2^32', (w) => w.u32(2 ** 32), 'OUT_OF_RANGE'],
    ['u32 1.5', (w) => w.u32(1.5), 'OUT_OF_RANGE'],
    ['u64 2^53', (w) => w.u64(2 ** 53), 'OUT_OF_RANGE'],
    ['u64 NaN', (w) => w.u64(Number.NaN), 'OUT_OF_RANGE'],
    ['bytes[4] of 3 bytes', (w) => w.bytes(new Uint8Array(3), 4), 'OUT_OF_RANGE'],
    ['str of 65536 bytes', (w) => w.str('x'.repeat(65536)), 'OUT_OF_RANGE'],
    ['str with a lone surrogate', (w) => w.str('\ud800'), 'BAD_UTF8'],
    ['str with a leading BOM', (w) => w.str('\ufeffx'), 'BAD_UTF8'],
    [
      'imprint of the wrong length',
      (w) => w.imprint({ algorithm: 'sha256', digest: new Uint8Array(20) }),
      'BAD_IMPRINT',
    ],
    ['list of 65536 items', (w) => w.count(65536), 'OUT_OF_RANGE'],
  ];
  it.each(rejections)('rejects %s', (_name, write, code) => {
    expect(failure(() => write(new ByteWriter()))?.code).toBe(code);
  });
});

describe('ByteReader', () => {
  it('reads back what ByteWriter wrote (property)', () => {
    const values = fc.record({
      u8: fc.integer({ min: 0, max: 0xff }),
      u16: fc.integer({ min: 0, max: 0xffff }),
      u32: fc.integer({ min: 0, max: 0xffff_ffff }),
      u64: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
      bytes: fc.uint8Array({ minLength: 5, maxLength: 5 }),
      str: fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => s.charCodeAt(0) !== 0xfeff),
    });
    fc.assert(
      fc.property(values, (v) => {
        const w = new ByteWriter(4).u8(v.u8).u16(v.u16).u32(v.u32).u64(v.u64).bytes(v.bytes, 5).str(v.str);
        const r = new ByteReader(w.finish());
        expect([r.u8('a'), r.u16('b'), r.u32('c'), r.u64('d'), r.bytes('e', 5), r.str('f')]).toEqual([
          v.u8,
          v.u16,
          v.u32,
          v.u64,
          v.bytes,
          v.str,
        ]);
        r.end();
      }),
      { numRuns: 200 },
    );
  });

  it('reads any str bytes as the fatal UTF-8 decoder does, short ASCII or not (property)', () => {
    const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    const expected = (bytes: Uint8Array) => {
      try {
        const text = decoder.decode(bytes);
        return text.charCodeAt(0) === 0xfeff ? 'BAD_UTF8' : text;
      } catch {
        return 'BAD_UTF8';
      }
    };
    // Mostly ASCII with some bytes above 0x7f, at lengths around the ASCII loop's limit (32).
    const byte = fc.oneof(fc.integer({ min: 0, max: 0x7f }), fc.integer({ min: 0x80, max: 0xff }));
    const text = fc.oneof(
      fc.array(byte, { maxLength: 40 }).map((b) => Uint8Array.from(b)),
      fc.string({ unit: 'binary', maxLength: 40 }).map((t) => new TextEncoder().encode(t)),
    );
    fc.assert(
      fc.property(text, (bytes) => {
        const framed = new Uint8Array(2 + bytes.length);
        framed[0] = bytes.length >> 8;
        framed[1] = bytes.length & 0xff;
        framed.set(bytes, 2);
        const read = failure(() => new ByteReader(framed).str('s'));
        const got = read === undefined ? new ByteReader(framed).str('s') : read.code;
        expect(got).toBe(expected(bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it('reads short ASCII texts right whether they were read before, or another took their slot', () => {
    // 30,000 reads of 6,000 texts of 0-32 ASCII characters (many more than the kept texts' slots, so
    // slots are shared and replaced), each text read five times, interleaved, some texts differing
    // from another in one character or in length only.
    let state = 7;
    const next = (n: number) => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state % n;
    };
    const texts = Array.from({ length: 6000 }, (_, i) => {
      if (i % 3 === 1) return `${'x'.repeat(i % 30)}y`;
      const length = next(33);
      return String.fromCharCode(...Array.from({ length }, () => 0x20 + next(0x5f)));
    });
    const framed = texts.map((text) => {
      const bytes = new TextEncoder().encode(text);
      return Uint8Array.from([bytes.length >> 8, bytes.length & 0xff, ...bytes]);
    });
    for (let round = 0; round < 5; round++) {
      for (let k = 0; k < texts.length; k++) {
        const i = (k * 7919 + round * 101) % texts.length;
        expect(new ByteReader(framed[i] as Uint8Array).str('s')).toBe(texts[i]);
      }
    }
  });

  it('reads copies, never views, from a Buffer too (whose slice() is a view)', () => {
    const message = Buffer.from(
      hexToBytes(`${'11'.repeat(16)} 21 01 ${'ab'.repeat(31)}cd`.replaceAll(' ', '')),
    );
    const r = new ByteReader(message);
    const id = r.bytes('event_id', 16);
    const imprint = r.imprint('data');
    message.fill(0);
    expect(bytesToHex(id)).toBe('11'.repeat(16));
    expect(bytesToHex(imprint.digest)).toBe(`${'ab'.repeat(31)}cd`);
    expect(id.buffer).not.toBe(message.buffer);
    expect(imprint.digest.buffer).not.toBe(message.buffer);
  });

  it('reads an imprint and a time', () => {
    const r = reader(`21 01 ${'ab'.repeat(32)} 0000000000000001`);
    expect(r.imprint('data')).toEqual({ algorithm: 'sha256', digest: new Uint8Array(32).fill(0xab) });
    expect(r.time('t')).toBe(1);
    expect(r.remaining).toBe(0);
    expect(r.offset).toBe(42);
  });

  // [name, bytes (hex), read, code, field]: every length is checked against what remains.
  const rejections: [string, string, (r: ByteReader) => unknown, EncodingErrorCode, string][] = [
    ['u8 of nothing', '', (r) => r.u8('a'), 'TRUNCATED', 'a'],
    ['u16 of one byte', '01', (r) => r.u16('b'), 'TRUNCATED', 'b'],
    ['u32 of three bytes', '010203', (r) => r.u32('c'), 'TRUNCATED', 'c'],
    ['u64 of seven bytes', '01020304050607', (r) => r.u64('d'), 'TRUNCATED', 'd'],
    ['u64 of 2^53', '0020000000000000', (r) => r.u64('d'), 'OUT_OF_RANGE', 'd'],
    ['u64 of 2^64 - 1', 'ffffffffffffffff', (r) => r.time('t'), 'OUT_OF_RANGE', 't'],
    ['bytes[16] of 15', '00'.repeat(15), (r) => r.bytes('id', 16), 'TRUNCATED', 'id'],
    ['str longer than what remains', '0005 6162636465'.slice(0, -2), (r) => r.str('s'), 'TRUNCATED', 's'],
    ['str of 65535 bytes in 10', `ffff${'61'.repeat(10)}`, (r) => r.str('s'), 'TRUNCATED', 's'],
    ['str of a lone continuation byte', '0001 80', (r) => r.str('s'), 'BAD_UTF8', 's'],
    ['str of an overlong NUL', '0002 c080', (r) => r.str('s'), 'BAD_UTF8', 's'],
    ['str of a surrogate', '0003 eda080', (r) => r.str('s'), 'BAD_UTF8', 's'],
    ['str above U+10FFFF', '0004 f4908080', (r) => r.str('s'), 'BAD_UTF8', 's'],
    ['str with a BOM', '0004 efbbbf61', (r) => r.str('s'), 'BAD_UTF8', 's'],
    ['imprint longer than what remains', '21 01 00', (r) => r.imprint('i'), 'TRUNCATED', 'i'],
    ['empty imprint', '00', (r) => r.imprint('i'), 'BAD_IMPRINT', 'i'],
    ['imprint of SHA-1', `15 00 ${'00'.repeat(20)}`, (r) => r.imprint('i'), 'BAD_IMPRINT', 'i'],
    ['imprint of id 0x06', `21 06 ${'00'.repeat(32)}`, (r) => r.imprint('i'), 'BAD_IMPRINT', 'i'],
    ['imprint L != 1 + digest size', `20 01 ${'00'.repeat(31)}`, (r) => r.imprint('i'), 'BAD_IMPRINT', 'i'],
    ['trailing bytes', '0102', (r) => [r.u8('a'), r.end()], 'TRAILING_BYTES', ''],
  ];
  it.each(rejections)('rejects %s', (_name, hex, read, code, field) => {
    expect(failure(() => read(reader(hex)))).toEqual({ code, field });
  });

  it('reads a view at a non-zero offset of a larger buffer', () => {
    const buffer = hexToBytes('ff ff 0102 ff'.replaceAll(' ', ''));
    expect(new ByteReader(buffer.subarray(2, 4)).u16('x')).toBe(0x0102);
  });
});

describe('ByteWriter.reset', () => {
  it('starts over on the same buffer, and earlier finish() copies keep their bytes', () => {
    const w = new ByteWriter(4);
    const first = w.u32(0x01020304).str('grown past the first buffer').finish();
    const second = w.reset().u8(9).finish();
    expect(bytesToHex(second)).toBe('09');
    expect(bytesToHex(first.subarray(0, 4))).toBe('01020304');
    expect(first.length).toBe(4 + 2 + 'grown past the first buffer'.length);
    expect(w.length).toBe(1);
  });
});

describe('record header', () => {
  const header = recordHeader('MSIX', 1);

  it('is magic || version', () => {
    const w = new ByteWriter();
    writeHeader(w, header);
    expect(bytesToHex(w.finish())).toBe('4d53495801');
    expect(() => readHeader(reader('4d53495801'), header)).not.toThrow();
  });

  it.each([
    ['another magic', '4d53494501', 'BAD_MAGIC', 'magic'],
    ['an unknown version', '4d53495802', 'UNKNOWN_VERSION', 'version'],
    ['a truncated magic', '4d5349', 'TRUNCATED', 'magic'],
    ['a missing version', '4d534958', 'TRUNCATED', 'version'],
  ] as const)('rejects %s', (_name, hex, code, field) => {
    expect(failure(() => readHeader(reader(hex), header))).toEqual({ code, field });
  });
});
