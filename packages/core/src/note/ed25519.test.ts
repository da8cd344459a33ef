import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToNumberLE, numberToBytesLE } from '@noble/curves/utils.js';
import { sha512 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ed25519PublicKey, ed25519Sign, isStrongEd25519PublicKey, portableEd25519 } from './ed25519.js';

const hex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g) ?? [], (b) => Number.parseInt(b, 16));

// RFC 8032 §7.1, TEST 1 and TEST 2.
const RFC8032 = [
  {
    seed: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    publicKey: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    message: '',
    signature:
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    seed: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    publicKey: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    message: '72',
    signature:
      '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
];

describe('portableEd25519', () => {
  const ed = portableEd25519();

  it.each(RFC8032)('matches RFC 8032 vector $publicKey', (v) => {
    expect(ed25519PublicKey(hex(v.seed))).toEqual(hex(v.publicKey));
    expect(ed25519Sign(hex(v.seed), hex(v.message))).toEqual(hex(v.signature));
    expect(ed.verify(hex(v.publicKey), hex(v.message), hex(v.signature))).toBe(true);
  });

  it('rejects a tampered message, signature or key', () => {
    const v = RFC8032[1];
    if (v === undefined) throw new Error('vector missing');
    const [pk, msg, sig] = [hex(v.publicKey), hex(v.message), hex(v.signature)];
    for (const [i, bytes] of [pk, msg, sig].entries()) {
      for (let at = 0; at < bytes.length; at++) {
        const tampered = bytes.slice();
        tampered[at] = (tampered[at] ?? 0) ^ 0x01;
        const args = [pk, msg, sig];
        args[i] = tampered;
        expect(ed.verify(args[0] ?? pk, args[1] ?? msg, args[2] ?? sig)).toBe(false);
      }
    }
  });

  it('rejects S >= L (a malleated signature) and wrong lengths', () => {
    const v = RFC8032[0];
    if (v === undefined) throw new Error('vector missing');
    const [pk, msg, sig] = [hex(v.publicKey), hex(v.message), hex(v.signature)];
    // S + L encodes the same scalar mod L; strict RFC 8032 verification must refuse it.
    const L = 2n ** 252n + 27742317777372353535851937790883648493n;
    const s = BigInt(`0x${Buffer.from(sig.subarray(32)).reverse().toString('hex')}`) + L;
    const malleated = sig.slice();
    malleated.set(Buffer.from(s.toString(16).padStart(64, '0'), 'hex').reverse(), 32);
    expect(ed.verify(pk, msg, malleated)).toBe(false);
    expect(ed.verify(pk.subarray(1), msg, sig)).toBe(false);
    expect(ed.verify(pk, msg, sig.subarray(1))).toBe(false);
    expect(ed.verify(new Uint8Array(0), msg, new Uint8Array(0))).toBe(false);
  });

  it('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 40 })),
        fc.uint8Array({ maxLength: 16 }),
        fc.oneof(fc.uint8Array({ minLength: 64, maxLength: 64 }), fc.uint8Array({ maxLength: 70 })),
        (pk, msg, sig) => {
          expect(ed.verify(pk, msg, sig)).toBe(false);
        },
      ),
      { numRuns: 100 },
    );
  });

  // Small-order points (noble's ED25519_TORSION_SUBGROUP), x = 0 with the sign bit, and y >= p.
  const WEAK_KEYS = [
    '0100000000000000000000000000000000000000000000000000000000000000',
    '0100000000000000000000000000000000000000000000000000000000000080',
    'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    '0000000000000000000000000000000000000000000000000000000000000000',
    '0000000000000000000000000000000000000000000000000000000000000080',
    'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
    '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
    'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  ];

  it('refuses small-order and non-canonical public keys, even with a trivial signature', () => {
    const trivial = Uint8Array.of(1, ...new Uint8Array(63)); // R = identity, S = 0
    for (const key of WEAK_KEYS) {
      expect(isStrongEd25519PublicKey(hex(key)), key).toBe(false);
      expect(ed.verify(hex(key), hex('68656c6c6f'), trivial), key).toBe(false);
    }
    for (const v of RFC8032) expect(isStrongEd25519PublicKey(hex(v.publicKey))).toBe(true);
    expect(isStrongEd25519PublicKey(new Uint8Array(31))).toBe(false);
  });

  it('checks the cofactorless equation: refuses an R with a small-order component', () => {
    // An R of the form [r]B + T, T of order 8, with S = r + k·a: the cofactored equation
    // [8][S]B = [8]R + [8][k]A holds, the cofactorless [S]B = R + [k]A does not (node:crypto refuses).
    const seed = new Uint8Array(32).fill(5);
    const message = hex('68656c6c6f');
    const signature = signWithTorsion(seed, message);
    const publicKey = ed25519PublicKey(seed);
    expect(ed25519.verify(signature, message, publicKey, { zip215: false })).toBe(true); // noble: cofactored
    expect(ed.verify(publicKey, message, signature)).toBe(false);
    expect(ed.verify(publicKey, message, ed25519Sign(seed, message))).toBe(true);
  });
});

/** A point of order 8 (noble's ED25519_TORSION_SUBGROUP[1]). */
const ORDER_8 = '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05';

/** A signature only a cofactored verifier accepts: R = [r]B + T (T of order 8), S = r + k·a mod L. */
function signWithTorsion(seed: Uint8Array, message: Uint8Array): Uint8Array {
  const { Point } = ed25519;
  const L = Point.Fn.ORDER;
  const { scalar, pointBytes } = ed25519.utils.getExtendedPublicKey(seed);
  const r = 1_234_567_890_123n;
  const R = Point.BASE.multiply(r)
    .add(Point.fromBytes(hex(ORDER_8)))
    .toBytes();
  const k = bytesToNumberLE(sha512(Uint8Array.of(...R, ...pointBytes, ...message))) % L;
  return Uint8Array.of(...R, ...numberToBytesLE((r + k * scalar) % L, 32));
}
