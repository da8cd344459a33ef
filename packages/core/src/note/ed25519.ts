import { ed25519 } from '@noble/curves/ed25519.js';

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
 * does not verify. They MUST agree with {@link portableEd25519} on every honest signature.
 */
export interface Ed25519Verifier {
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
}

/**
 * The portable verifier: pure JavaScript (@noble/curves), runs in browsers and every Node version.
 * Verification is strict RFC 8032 (canonical encodings of `A`, `R` and `S`), not ZIP-215, and
 * refuses small-order public keys (see {@link isStrongEd25519PublicKey}).
 */
export function portableEd25519(): Ed25519Verifier {
  return {
    verify(publicKey, message, signature) {
      if (publicKey.length !== ED25519_PUBLIC_KEY_SIZE || signature.length !== ED25519_SIGNATURE_SIZE) {
        return false;
      }
      try {
        return ed25519.verify(signature, message, publicKey, { zip215: false });
      } catch {
        return false;
      }
    },
  };
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
