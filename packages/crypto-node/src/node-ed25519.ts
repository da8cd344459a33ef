import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import type { Ed25519Verifier } from '@msi/core';

/** DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): the 32-byte public key follows it. */
const SPKI_PREFIX = Uint8Array.of(0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00);
const PUBLIC_KEY_SIZE = 32;
const SIGNATURE_SIZE = 64;

/**
 * Public keys strict RFC 8032 verification refuses although OpenSSL imports them: the 8 points of
 * small order (their signatures can verify for any message) and the two encodings of x = 0 with the
 * sign bit set. With {@link isCanonical} this makes nodeEd25519 agree with @msi/core's portable
 * verifier on every key, not only on honest ones.
 */
const REFUSED_KEYS = new Set([
  '0100000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000080',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0000000000000000000000000000000000000000000000000000000000000080',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
]);

/** How many imported public keys a verifier keeps (a log key and a few witnesses in practice). */
const DEFAULT_CACHE_SIZE = 256;

/**
 * An Ed25519Verifier on node:crypto (OpenSSL). Each raw 32-byte public key is imported once as a
 * KeyObject (from its SPKI DER) and cached; the cache holds at most `cacheSize` keys, dropping the
 * least recently used. Never throws on bad input: a key or signature of the wrong length, a key
 * OpenSSL refuses, or any verification error gives `false`.
 */
export function nodeEd25519(cacheSize = DEFAULT_CACHE_SIZE): Ed25519Verifier {
  const cache = new Map<string, KeyObject>();
  const keyObject = (publicKey: Uint8Array): KeyObject | undefined => {
    const id = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString('hex');
    const cached = cache.get(id);
    if (cached !== undefined) {
      cache.delete(id);
      cache.set(id, cached);
      return cached;
    }
    const key = isCanonical(publicKey) && !REFUSED_KEYS.has(id) ? importKey(publicKey) : undefined;
    if (key === undefined) return undefined;
    if (cache.size >= cacheSize) {
      const oldest = cache.keys().next();
      if (!oldest.done) cache.delete(oldest.value);
    }
    if (cacheSize > 0) cache.set(id, key);
    return key;
  };
  return {
    verify(publicKey, message, signature) {
      if (publicKey.length !== PUBLIC_KEY_SIZE || signature.length !== SIGNATURE_SIZE) return false;
      const key = keyObject(publicKey);
      if (key === undefined) return false;
      try {
        return verify(null, message, key, signature);
      } catch {
        return false;
      }
    },
  };
}

/** Whether the little-endian y coordinate of `publicKey` (sign bit cleared) is below p = 2^255 − 19. */
function isCanonical(publicKey: Uint8Array): boolean {
  if (((publicKey[31] ?? 0) & 0x7f) !== 0x7f) return true;
  for (let i = 30; i >= 1; i--) if (publicKey[i] !== 0xff) return true;
  return (publicKey[0] ?? 0) < 0xed;
}

function importKey(publicKey: Uint8Array): KeyObject | undefined {
  const der = new Uint8Array(SPKI_PREFIX.length + PUBLIC_KEY_SIZE);
  der.set(SPKI_PREFIX, 0);
  der.set(publicKey, SPKI_PREFIX.length);
  try {
    return createPublicKey({ key: Buffer.from(der.buffer), format: 'der', type: 'spki' });
  } catch {
    return undefined;
  }
}
