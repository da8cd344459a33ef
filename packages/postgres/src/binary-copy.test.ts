import { describe, expect, it } from 'vitest';
import { BinaryCopyRows } from './binary-copy.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const HEADER = `${Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1').toString('hex')}0000000000000000`;

describe('BinaryCopyRows', () => {
  it('writes the signature, each field as its length and binary send form, and the trailer', () => {
    const payload = new BinaryCopyRows(8)
      .row(7)
      .int2(-2)
      .int4(258)
      .int8(-1)
      .bytes(Uint8Array.of(0xde, 0xad))
      .text('é')
      .null()
      .bytes(new Uint8Array(0))
      .finish();
    expect(hex(payload)).toBe(
      HEADER +
        '0007' +
        ['00000002fffe', '0000000400000102', '00000008ffffffffffffffff', '00000002dead', '00000002c3a9'].join(
          '',
        ) +
        'ffffffff' +
        '00000000' +
        'ffff',
    );
  });

  it('writes bigints across the whole safe range as two’s complement', () => {
    const field = (value: number) =>
      hex(new BinaryCopyRows().row(1).int8(value).finish()).slice(HEADER.length + 4, -4);
    expect(field(0)).toBe('000000080000000000000000');
    expect(field(2 ** 32)).toBe('000000080000000100000000');
    expect(field(Number.MAX_SAFE_INTEGER)).toBe('00000008001fffffffffffff');
    expect(field(Number.MIN_SAFE_INTEGER)).toBe('00000008ffe0000000000001');
    expect(field(-(2 ** 32) - 1)).toBe('00000008fffffffeffffffff');
  });

  it('refuses a number its column type cannot hold', () => {
    const rows = new BinaryCopyRows().row(1);
    expect(() => rows.int2(0x8000)).toThrow(/32768 is not a smallint/);
    expect(() => rows.int4(2 ** 31)).toThrow(/is not an integer/);
    expect(() => rows.int8(2 ** 53)).toThrow(/is not a safe bigint/);
    expect(() => rows.int4(1.5)).toThrow(RangeError);
    expect(() => rows.int8(Number.NaN)).toThrow(RangeError);
  });

  it('grows past its first size, keeping every row, and counts them', () => {
    const rows = new BinaryCopyRows(32);
    const text = 'ü'.repeat(500);
    for (let i = 0; i < 100; i++) rows.row(2).int4(i).text(text);
    const payload = rows.finish();
    expect(rows.rows).toBe(100);
    const rowBytes = 2 + 8 + 4 + 1000;
    expect(payload.length).toBe(HEADER.length / 2 + 100 * rowBytes + 2);
    const last = payload.subarray(HEADER.length / 2 + 99 * rowBytes);
    expect(last.readInt16BE(0)).toBe(2);
    expect(last.readInt32BE(6)).toBe(99);
    expect(last.subarray(14, 1014).toString('utf8')).toBe(text);
  });

  it('frames the payload as one CopyData message then CopyDone, and takes no row after finishing', () => {
    const rows = new BinaryCopyRows(8).row(1).int4(7);
    const payload = rows.finish();
    const framed = rows.framed();
    expect(hex(framed.subarray(0, 5))).toBe(`64${(4 + payload.length).toString(16).padStart(8, '0')}`);
    expect(hex(framed.subarray(5, 5 + payload.length))).toBe(hex(payload));
    expect(hex(framed.subarray(5 + payload.length))).toBe('6300000004');
    expect(hex(rows.finish())).toBe(hex(payload));
    expect(() => rows.row(1)).toThrow(/a row after finish/);
  });
});
