import { bytesToHex } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UuidError, type UuidErrorCode } from './uuid-error.js';
import { formatUuid, parseUuid, parseUuidV7 } from './uuid-text.js';
import { isUuidV7, isUuidV7At, mintUuidV7, uuidV7Time, uuidV7TimeAt } from './uuid-v7.js';

function codeOf(action: () => unknown): UuidErrorCode | undefined {
  try {
    action();
  } catch (error) {
    if (error instanceof UuidError) return error.code;
    throw error;
  }
  return undefined;
}

// RFC 9562 Appendix A.6: unix_ts_ms 0x017F22E279B0 (Tuesday, February 22, 2022 2:22:22.00 PM GMT-05:00),
// rand_a 0xCC3, rand_b 0x18C4DC0C0C07398F.
const RFC_TEXT = '017f22e2-79b0-7cc3-98c4-dc0c0c07398f';
const RFC_MS = 0x017f22e279b0;

describe('mintUuidV7', () => {
  it('reproduces the RFC 9562 example from its time and random bits', () => {
    // rand_a and rand_b in bytes 6–15; the version and variant bits are overwritten (here: set to 1).
    const random = Uint8Array.from([
      0, 0, 0, 0, 0, 0, 0xfc, 0xc3, 0xd8, 0xc4, 0xdc, 0x0c, 0x0c, 0x07, 0x39, 0x8f,
    ]);
    expect(formatUuid(mintUuidV7(RFC_MS, random))).toBe(RFC_TEXT);
    expect(RFC_MS).toBe(Date.UTC(2022, 1, 22, 19, 22, 22));
  });

  it('lays out time, version and variant (property)', () => {
    const args = fc.tuple(
      fc.integer({ min: 0, max: 2 ** 48 - 1 }),
      fc.uint8Array({ minLength: 16, maxLength: 16 }),
    );
    fc.assert(
      fc.property(args, ([ms, random]) => {
        const uuid = mintUuidV7(ms, random);
        expect(isUuidV7(uuid)).toBe(true);
        expect(uuidV7Time(uuid)).toBe(ms);
        expect(bytesToHex(uuid.subarray(0, 6))).toBe(ms.toString(16).padStart(12, '0'));
        expect((uuid[6] ?? 0) & 0x0f).toBe((random[6] ?? 0) & 0x0f);
        expect((uuid[8] ?? 0) & 0x3f).toBe((random[8] ?? 0) & 0x3f);
        expect(bytesToHex(uuid.subarray(9))).toBe(bytesToHex(random.subarray(9)));
        expect(parseUuidV7(formatUuid(uuid))).toEqual(uuid);
      }),
      { numRuns: 200 },
    );
  });

  it('orders by time: a later millisecond sorts after, whatever the random bits', () => {
    const a = formatUuid(mintUuidV7(1000, new Uint8Array(16).fill(0xff)));
    const b = formatUuid(mintUuidV7(1001, new Uint8Array(16)));
    expect(a < b).toBe(true);
  });

  it.each([
    ['a negative time', -1, 16],
    ['a time of 2^48 ms', 2 ** 48, 16],
    ['a fractional time', 1.5, 16],
    ['15 random bytes', 0, 15],
    ['17 random bytes', 0, 17],
  ])('rejects %s', (_name, ms, size) => {
    expect(codeOf(() => mintUuidV7(ms, new Uint8Array(size)))).toBe('OUT_OF_RANGE');
  });
});

describe('isUuidV7 / uuidV7Time', () => {
  const rfc = parseUuid(RFC_TEXT);
  const withByte = (at: number, value: number): Uint8Array =>
    Uint8Array.from(rfc, (b, i) => (i === at ? value : b));

  it('reads the RFC example', () => {
    expect(isUuidV7(rfc)).toBe(true);
    expect(uuidV7Time(rfc)).toBe(RFC_MS);
  });

  it.each([
    ['version 4', withByte(6, 0x4c)],
    ['version 8', withByte(6, 0x8c)],
    ['variant 0b0x (NCS)', withByte(8, 0x18)],
    ['variant 0b110 (Microsoft)', withByte(8, 0xd8)],
    ['15 bytes', rfc.subarray(0, 15)],
    ['the nil UUID', new Uint8Array(16)],
    ['the max UUID', new Uint8Array(16).fill(0xff)],
  ])('rejects %s', (_name, bytes) => {
    expect(isUuidV7(bytes)).toBe(false);
    expect(codeOf(() => uuidV7Time(bytes))).toBe('NOT_V7');
  });

  it('reads an id in place inside larger bytes, as the whole-id forms read it alone', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.nat(7),
        fc.nat(7),
        (id, before, after) => {
          const bytes = new Uint8Array(before + 16 + after).fill(0xa5);
          bytes.set(id, before);
          expect(isUuidV7At(bytes, before)).toBe(isUuidV7(id));
          if (isUuidV7(id)) expect(uuidV7TimeAt(bytes, before)).toBe(uuidV7Time(id));
        },
      ),
    );
    const inside = new Uint8Array(20);
    inside.set(rfc, 4);
    expect(uuidV7TimeAt(inside, 4)).toBe(RFC_MS);
    expect(isUuidV7At(inside, 5)).toBe(false); // 15 bytes left
    expect(isUuidV7At(inside, -1)).toBe(false);
  });
});

describe('text form', () => {
  it('parses either case and formats lower case', () => {
    expect(formatUuid(parseUuid(RFC_TEXT.toUpperCase()))).toBe(RFC_TEXT);
  });

  it.each([
    ['empty', ''],
    ['no hyphens', RFC_TEXT.replaceAll('-', '')],
    ['braces', `{${RFC_TEXT}}`],
    ['a URN', `urn:uuid:${RFC_TEXT}`],
    ['a hyphen moved', '017f22e-279b0-7cc3-98c4-dc0c0c07398f'],
    ['a non-hex digit', RFC_TEXT.replace('f', 'g')],
    ['white space', ` ${RFC_TEXT}`],
    ['a trailing newline', `${RFC_TEXT}\n`],
    ['one digit short', RFC_TEXT.slice(0, -1)],
  ])('rejects %s', (_name, text) => {
    expect(codeOf(() => parseUuid(text))).toBe('MALFORMED');
  });

  it('parseUuidV7 rejects another version', () => {
    expect(codeOf(() => parseUuidV7('f81d4fae-7dec-11d0-a765-00a0c91e6bf6'))).toBe('NOT_V7'); // RFC 9562 v1 example
  });

  it('formatUuid rejects a wrong length', () => {
    expect(codeOf(() => formatUuid(new Uint8Array(15)))).toBe('MALFORMED');
  });
});
