import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { algorithmById, algorithmByName, HASH_ALGORITHMS, type HashAlgorithm } from './hash-algorithms.js';
import {
  checkImprint,
  encodeImprint,
  type Imprint,
  imprintEquals,
  makeImprint,
  parseImprint,
} from './imprint.js';
import { ImprintError, type ImprintErrorCode } from './imprint-error.js';
import { imprintOf } from './imprint-of.js';
import { formatImprint, parseImprintText } from './imprint-text.js';

function codeOf(action: () => unknown): ImprintErrorCode | undefined {
  try {
    action();
  } catch (error) {
    if (error instanceof ImprintError) return error.code;
    throw error;
  }
  return undefined;
}

const abc = new TextEncoder().encode('abc');

describe('the KSI registry (docs/PROOFS.md §3)', () => {
  // [id, name, digest size, accepted]: the table of §3, typed in again.
  const table: [number, string, number, boolean][] = [
    [0x00, 'sha1', 20, false],
    [0x01, 'sha256', 32, true],
    [0x02, 'ripemd160', 20, false],
    [0x03, 'sha224', 28, true],
    [0x04, 'sha384', 48, true],
    [0x05, 'sha512', 64, true],
    [0x07, 'sha3-224', 28, true],
    [0x08, 'sha3-256', 32, true],
    [0x09, 'sha3-384', 48, true],
    [0x0a, 'sha3-512', 64, true],
  ];

  it('is exactly the table of §3', () => {
    expect(HASH_ALGORITHMS.map((a) => [a.id, a.name, a.digestSize, a.accepted])).toEqual(table);
  });

  it.each(table.filter(([, , , accepted]) => accepted))(
    '0x%s %s is accepted by id and by name',
    (id, name, size) => {
      expect(algorithmById(id)).toMatchObject({ name, digestSize: size });
      expect(algorithmByName(name)).toMatchObject({ id, digestSize: size });
    },
  );

  it('rejects the deprecated and unknown ids', () => {
    expect(codeOf(() => algorithmById(0x00))).toBe('DEPRECATED_ALGORITHM');
    expect(codeOf(() => algorithmById(0x02))).toBe('DEPRECATED_ALGORITHM');
    for (const id of [0x06, 0x0b, 0x7f, 0xff])
      expect(codeOf(() => algorithmById(id))).toBe('UNKNOWN_ALGORITHM');
    expect(codeOf(() => algorithmByName('SHA256'))).toBe('UNKNOWN_ALGORITHM');
    expect(codeOf(() => algorithmByName('sha1'))).toBe('DEPRECATED_ALGORITHM');
  });
});

describe('imprintOf', () => {
  // FIPS 180-4 / FIPS 202 example digests of "abc".
  const known: [HashAlgorithm, string][] = [
    ['sha224', '23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7'],
    ['sha256', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    [
      'sha384',
      'cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7',
    ],
    [
      'sha512',
      'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
    ],
    ['sha3-224', 'e642824c3f8cf24ad09234ee7d3c766fc9a3a5168d0c94ad73b46fdf'],
    ['sha3-256', '3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532'],
    [
      'sha3-384',
      'ec01498288516fc926459f58e2c6ad8df9b473cb0fc08c2596da7cf0e49be4b298d88cea927ac7f539f1edf228376d25',
    ],
    [
      'sha3-512',
      'b751850b1a57168a5693cd924b6b096e08f621827444f70d884f5d0240d2712e10e116e9192af3c91a7ec57647e3934057340b4cf408d5a56592f8274eec53f0',
    ],
  ];
  it.each(known)('%s("abc")', (algorithm, digest) => {
    const imprint = imprintOf(algorithm, abc);
    expect(bytesToHex(imprint.digest)).toBe(digest);
    expect(formatImprint(imprint)).toBe(`${algorithm}:${digest}`);
  });
});

describe('wire form', () => {
  it('is id || digest', () => {
    const imprint = imprintOf('sha3-256', abc);
    expect(bytesToHex(encodeImprint(imprint))).toBe(`08${bytesToHex(imprint.digest)}`);
  });

  // [name, bytes (hex), code]: hostile bytes.
  const rejections: [string, string, ImprintErrorCode][] = [
    ['empty', '', 'MALFORMED'],
    ['SHA-1', `00${'00'.repeat(20)}`, 'DEPRECATED_ALGORITHM'],
    ['RIPEMD-160', `02${'00'.repeat(20)}`, 'DEPRECATED_ALGORITHM'],
    ['id 0x06', `06${'00'.repeat(32)}`, 'UNKNOWN_ALGORITHM'],
    ['id 0x0b', `0b${'00'.repeat(32)}`, 'UNKNOWN_ALGORITHM'],
    ['SHA-256 without a digest', '01', 'WRONG_LENGTH'],
    ['SHA-256 of 31 bytes', `01${'00'.repeat(31)}`, 'WRONG_LENGTH'],
    ['SHA-256 of 33 bytes', `01${'00'.repeat(33)}`, 'WRONG_LENGTH'],
    ['SHA3-512 of 32 bytes', `0a${'00'.repeat(32)}`, 'WRONG_LENGTH'],
  ];
  it.each(rejections)('rejects %s', (_name, hex, code) => {
    expect(codeOf(() => parseImprint(hexToBytes(hex)))).toBe(code);
  });

  it('parse ∘ encode is the identity for every accepted algorithm (property)', () => {
    const arbImprint = fc
      .constantFrom(...HASH_ALGORITHMS.filter((a) => a.accepted))
      .chain((a) =>
        fc
          .uint8Array({ minLength: a.digestSize, maxLength: a.digestSize })
          .map((d) => makeImprint(a.name as HashAlgorithm, d)),
      );
    fc.assert(
      fc.property(arbImprint, (imprint) => {
        const parsed = parseImprint(encodeImprint(imprint));
        expect(imprintEquals(parsed, imprint)).toBe(true);
        expect(parseImprintText(formatImprint(imprint))).toEqual(imprint);
      }),
      { numRuns: 100 },
    );
  });

  it('copies: the parsed digest is not a view of the input', () => {
    const bytes = encodeImprint(imprintOf('sha256', abc));
    const imprint = parseImprint(bytes);
    bytes.fill(0);
    expect(imprint).toEqual(imprintOf('sha256', abc));
    // A Buffer's slice() is a view: the digest must not be one of a Buffer either (decoded requests).
    const buffer = Buffer.from(encodeImprint(imprintOf('sha256', abc)));
    const fromBuffer = parseImprint(buffer);
    buffer.fill(0);
    expect(fromBuffer).toEqual(imprintOf('sha256', abc));
  });
});

describe('checkImprint / makeImprint', () => {
  it('rejects values built by hand that break the table', () => {
    expect(codeOf(() => makeImprint('sha384', new Uint8Array(32)))).toBe('WRONG_LENGTH');
    expect(
      codeOf(() => checkImprint({ algorithm: 'sha1', digest: new Uint8Array(20) } as unknown as Imprint)),
    ).toBe('DEPRECATED_ALGORITHM');
    expect(
      codeOf(() => checkImprint({ algorithm: 'md5', digest: new Uint8Array(16) } as unknown as Imprint)),
    ).toBe('UNKNOWN_ALGORITHM');
  });

  it('imprintEquals compares algorithm and digest', () => {
    const a = imprintOf('sha256', abc);
    expect(imprintEquals(a, imprintOf('sha256', abc))).toBe(true);
    expect(imprintEquals(a, imprintOf('sha3-256', abc))).toBe(false);
    expect(imprintEquals(a, imprintOf('sha256', Uint8Array.of(1)))).toBe(false);
  });
});

describe('text form', () => {
  const digest = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

  it('accepts upper-case hex and formats lower case', () => {
    const imprint = parseImprintText(`sha256:${digest.toUpperCase()}`);
    expect(formatImprint(imprint)).toBe(`sha256:${digest}`);
  });

  // [name, text, code]: hostile text.
  const rejections: [string, string, ImprintErrorCode][] = [
    ['empty', '', 'MALFORMED'],
    ['no colon', `sha256${digest}`, 'MALFORMED'],
    ['an empty name', `:${digest}`, 'MALFORMED'],
    ['an upper-case name', `SHA256:${digest}`, 'MALFORMED'],
    ['a space', `sha256: ${digest}`, 'MALFORMED'],
    ['a trailing newline', `sha256:${digest}\n`, 'MALFORMED'],
    ['a non-hex digit', `sha256:${digest.slice(0, -1)}g`, 'MALFORMED'],
    ['an odd number of digits', `sha256:${digest.slice(0, -1)}`, 'MALFORMED'],
    ['a very long text', `sha256:${'0'.repeat(10_000)}`, 'MALFORMED'],
    ['two colons', `sha256:${digest}:00`, 'MALFORMED'],
    ['an unknown name', `md5:${digest.slice(0, 32)}`, 'UNKNOWN_ALGORITHM'],
    ['a deprecated name', `sha1:${digest.slice(0, 40)}`, 'DEPRECATED_ALGORITHM'],
    ['a short digest', `sha256:${digest.slice(0, 62)}`, 'WRONG_LENGTH'],
    ['a digest of another algorithm', `sha512:${digest}`, 'WRONG_LENGTH'],
  ];
  it.each(rejections)('rejects %s', (_name, text, code) => {
    expect(codeOf(() => parseImprintText(text))).toBe(code);
  });
});
