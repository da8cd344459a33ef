import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToNumberLE } from '@noble/curves/utils.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { bytesEqual } from '../encoding/bytes.js';

const Point = ed25519.Point;
/** L, the order of the prime-order subgroup. */
const L = Point.Fn.ORDER;

/** Size in bytes of an Ed25519 public key (RFC 8032). */
export const ED25519_PUBLIC_KEY_SIZE = 32;
/** Size in bytes of an Ed25519 private key seed (RFC 8032). */
export const ED25519_SEED_SIZE = 32;
/** Size in bytes of an Ed25519 signature (RFC 8032). */
export const ED25519_SIGNATURE_SIZE = 64;

/**
 * The Ed25519 verification port (RFC 8032, pure Ed25519, no context or pre-hash).
 *
 * Implementations MUST return `false`, never throw, for any bad input: a public key or signature of
 * the wrong length, a public key that is not a curve point, a non-canonical `S`, a signature that
 * does not verify. They MUST agree with {@link portableEd25519} on every input: strict decoding of
 * `A`, `S` below L and the cofactorless equation (docs/PROOFS.md §7).
 */
export interface Ed25519Verifier {
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
}

/**
 * The portable verifier: pure JavaScript (@noble/curves), runs in browsers and every Node version.
 * Verification is strict RFC 8032 with the cofactorless equation (docs/PROOFS.md §7): `A` MUST be a
 * canonical point of large order (see {@link isStrongEd25519PublicKey}), `S` MUST be below L, and
 * the encoding of `[S]B − [k]A` MUST equal the 32 bytes of `R`, k = SHA-512(R || A || M) mod L. This
 * is OpenSSL's equation (node:crypto): @noble/curves' own `verify` checks the cofactored one and
 * would accept an `R` with a small-order component, which no honest signer produces.
 */
export function portableEd25519(): Ed25519Verifier {
  return {
    verify(publicKey, message, signature) {
      if (publicKey.length !== ED25519_PUBLIC_KEY_SIZE || signature.length !== ED25519_SIGNATURE_SIZE) {
        return false;
      }
      try {
        return verifyCofactorless(publicKey, message, signature);
      } catch {
        return false;
      }
    },
  };
}

/**
 * `[S]B − [k]A` encodes to `R`. Preconditions: 32-byte key, 64-byte signature. Throws when the key
 * or `R` is not a canonical point encoding. Not constant-time: every value here is public.
 */
function verifyCofactorless(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const a = Point.fromBytes(publicKey, false);
  if (a.isSmallOrder()) return false;
  const r = signature.subarray(0, 32);
  const s = bytesToNumberLE(signature.subarray(32));
  if (s >= L) return false;
  // A fast exit, not a rule: an R that is not a canonical point encoding (this throws) could never
  // equal the encoding computed below, and decoding costs less than the two multiplications.
  Point.fromBytes(r, false);
  const input = new Uint8Array(64 + message.length);
  input.set(r, 0);
  input.set(publicKey, 32);
  input.set(message, 64);
  const k = bytesToNumberLE(sha512(input)) % L;
  return bytesEqual(Point.BASE.multiplyUnsafe(s).subtract(a.multiplyUnsafe(k)).toBytes(), r);
}

/**
 * Whether `publicKey` is 32 bytes canonically encoding a curve point that is not of small order.
 * A small-order key (such as the identity) has trivial signatures that verify for every message, so
 * it can never be a trusted key; non-canonical encodings are refused as RFC 8032 §5.1.3 requires.
 */
export function isStrongEd25519PublicKey(publicKey: Uint8Array): boolean {
  if (publicKey.length !== ED25519_PUBLIC_KEY_SIZE) return false;
  try {
    return !ed25519.Point.fromBytes(publicKey, false).isSmallOrder();
  } catch {
    return false;
  }
}

let defaultVerifier: Ed25519Verifier | undefined;

/** A shared {@link portableEd25519}, for callers that pass no verifier. */
export function defaultEd25519(): Ed25519Verifier {
  defaultVerifier ??= portableEd25519();
  return defaultVerifier;
}

/** The public key of a 32-byte Ed25519 seed (RFC 8032 §5.1.5). Precondition: `seed.length === 32`. */
export function ed25519PublicKey(seed: Uint8Array): Uint8Array {
  return ed25519.getPublicKey(seed);
}

/** The Ed25519 signature of `message` by the key of `seed`. Precondition: `seed.length === 32`. */
export function ed25519Sign(seed: Uint8Array, message: Uint8Array): Uint8Array {
  return ed25519.sign(message, seed);
}
