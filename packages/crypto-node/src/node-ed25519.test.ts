import {
  cosignCheckpoint,
  generateNoteKey,
  NOTE_ALG_COSIGNATURE_V1,
  openCheckpoint,
  portableEd25519,
  signCheckpoint,
  verifyCosignatures,
} from '@msi/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeEd25519 } from './node-ed25519.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const portable = portableEd25519();
const node = nodeEd25519();

// RFC 8032 §7.1, TEST 1 and TEST 2.
const RFC8032 = [
  {
    publicKey: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    message: '',
    signature:
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    publicKey: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    message: '72',
    signature:
      '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
];

// Keys strict RFC 8032 refuses but OpenSSL imports: small order, x = 0 with the sign bit, y >= p.
const WEAK_KEYS = [
  '0100000000000000000000000000000000000000000000000000000000000000', // identity
  '0100000000000000000000000000000000000000000000000000000000000080',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0000000000000000000000000000000000000000000000000000000000000080',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // y = p + 1: the identity, non-canonical
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff', // y = p
];

const both = (pk: Uint8Array, msg: Uint8Array, sig: Uint8Array): [boolean, boolean] => [
  node.verify(pk, msg, sig),
  portable.verify(pk, msg, sig),
];

describe('nodeEd25519', () => {
  it.each(RFC8032)('verifies RFC 8032 vector $publicKey', (v) => {
    expect(both(hex(v.publicKey), hex(v.message), hex(v.signature))).toEqual([true, true]);
  });

  it('agrees with the portable verifier on honest, tampered and foreign signatures', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 100 }),
        fc.nat(),
        (seed, message, at) => {
          const { signer } = generateNoteKey('k', seed);
          const signature = signer.sign(message);
          expect(both(signer.publicKey, message, signature)).toEqual([true, true]);
          const tampered = signature.slice();
          tampered[at % 64] = (tampered[at % 64] ?? 0) ^ 0x40;
          expect(both(signer.publicKey, message, tampered)).toEqual([false, false]);
          const other = Uint8Array.of(...message, 0);
          expect(both(signer.publicKey, other, signature)).toEqual([false, false]);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('refuses the keys strict RFC 8032 refuses, even with a trivial signature that OpenSSL accepts', () => {
    const identityR = hex('01'.padEnd(64, '0'));
    const trivial = Uint8Array.of(...identityR, ...new Uint8Array(32)); // R = identity, S = 0
    for (const key of WEAK_KEYS) {
      for (const sig of [trivial, new Uint8Array(64)]) {
        expect(both(hex(key), hex('68656c6c6f'), sig), key).toEqual([false, false]);
      }
    }
  });

  it('agrees on the cofactorless equation: an R with a small-order component is refused by both', () => {
    // R = [r]B + T with T of order 8 and S = r + k·a (seed 0x05 × 32, message "hello"): only a
    // cofactored verifier (such as @noble/curves' own verify) accepts it. docs/PROOFS.md §7.
    const publicKey = hex('6e7a1cdd29b0b78fd13af4c5598feff4ef2a97166e3ca6f2e4fbfccd80505bf1');
    const signature = hex(
      'c9d986fbb51c85e8c612804aa8b633e8dff02860e3f0271804eb29f1e54f1aea1a78f78524bdb9493d4f7b579ab2a1e364eecf438b15c673dd144c3fa17f9307',
    );
    expect(both(publicKey, hex('68656c6c6f'), signature)).toEqual([false, false]);
  });

  it('refuses S >= L and wrong lengths', () => {
    const v = RFC8032[0];
    if (!v) throw new Error('vector missing');
    const [pk, msg, sig] = [hex(v.publicKey), hex(v.message), hex(v.signature)];
    const L = 2n ** 252n + 27742317777372353535851937790883648493n;
    const s = BigInt(`0x${Buffer.from(sig.subarray(32)).reverse().toString('hex')}`) + L;
    const malleated = sig.slice();
    malleated.set(Buffer.from(s.toString(16).padStart(64, '0'), 'hex').reverse(), 32);
    expect(both(pk, msg, malleated)).toEqual([false, false]);
    expect(both(pk.subarray(1), msg, sig)).toEqual([false, false]);
    expect(both(pk, msg, sig.subarray(1))).toEqual([false, false]);
    expect(both(Uint8Array.of(...pk, 0), msg, sig)).toEqual([false, false]);
  });

  it('never throws and agrees with the portable verifier on arbitrary bytes', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 40 })),
        fc.uint8Array({ maxLength: 16 }),
        fc.oneof(fc.uint8Array({ minLength: 64, maxLength: 64 }), fc.uint8Array({ maxLength: 70 })),
        (pk, msg, sig) => {
          const [n, p] = both(pk, msg, sig);
          expect(n).toBe(p);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('stays correct when the key cache is tiny or disabled', () => {
    const keys = [1, 2, 3].map((b) => generateNoteKey('k', new Uint8Array(32).fill(b)).signer);
    for (const verifier of [nodeEd25519(1), nodeEd25519(0)]) {
      for (let round = 0; round < 2; round++) {
        for (const [i, key] of keys.entries()) {
          const msg = Uint8Array.of(i);
          expect(verifier.verify(key.publicKey, msg, key.sign(msg))).toBe(true);
          expect(
            verifier.verify(key.publicKey, msg, keys[(i + 1) % 3]?.sign(msg) ?? new Uint8Array(64)),
          ).toBe(false);
        }
      }
    }
  });

  it('checks checkpoints and cosignatures as the portable verifier does', () => {
    const log = generateNoteKey('msi.example/calendar', new Uint8Array(32).fill(7)).signer;
    const witness = generateNoteKey(
      'witness.example/w1',
      new Uint8Array(32).fill(8),
      NOTE_ALG_COSIGNATURE_V1,
    ).signer;
    const checkpoint = { origin: log.name, size: 3, root: new Uint8Array(32).fill(1), extensions: [] };
    const note = cosignCheckpoint(signCheckpoint(checkpoint, log), witness, 1_700_000_000);
    expect(openCheckpoint(note, [log], node)).toEqual(openCheckpoint(note, [log], portable));
    expect(verifyCosignatures(note, [witness], node)).toEqual([
      { name: witness.name, keyId: witness.keyId, time: 1_700_000_000 },
    ]);
    const tampered = note.replace('\n3\n', '\n4\n');
    expect(() => openCheckpoint(tampered, [log], node)).toThrow(
      expect.objectContaining({ code: 'SIGNATURE_INVALID' }),
    );
  });
});
