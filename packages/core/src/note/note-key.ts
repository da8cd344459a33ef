import { sha256 } from '@noble/hashes/sha2.js';
import { decodeBase64, encodeBase64 } from './base64.js';
import {
  ED25519_PUBLIC_KEY_SIZE,
  ED25519_SEED_SIZE,
  ed25519PublicKey,
  ed25519Sign,
  isStrongEd25519PublicKey,
} from './ed25519.js';
import { NoteError } from './note-error.js';
import { isValidKeyName, utf8 } from './text.js';

/** Signature type 0x01: Ed25519 over the note text (C2SP signed-note). */
export const NOTE_ALG_ED25519 = 0x01;
/** Signature type 0x04: timestamped Ed25519 witness cosignature (C2SP tlog-cosignature). */
export const NOTE_ALG_COSIGNATURE_V1 = 0x04;

/** The signature types MSI signs and verifies. */
export type NoteKeyAlgorithm = typeof NOTE_ALG_ED25519 | typeof NOTE_ALG_COSIGNATURE_V1;

/** A public note key: what a verifier trusts. `keyId` is a uint32 (the 4 key-id bytes, big-endian). */
export interface NoteVerifierKey {
  readonly name: string;
  readonly keyId: number;
  readonly algorithm: NoteKeyAlgorithm;
  /** The 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
}

/**
 * A private note key. `sign` returns the raw 64-byte Ed25519 signature of exactly the bytes given; what
 * those bytes are (the note text, or the cosignature message) is the caller's business.
 */
export interface NoteSigner extends NoteVerifierKey {
  sign(message: Uint8Array): Uint8Array;
}

/** A freshly generated key: the signer, and its key strings in the golang.org/x/mod/sumdb/note formats. */
export interface GeneratedNoteKey {
  readonly signer: NoteSigner;
  /** `PRIVATE+KEY+<name>+<key id hex>+<base64(alg || seed)>`: secret. */
  readonly signerKey: string;
  /** `<name>+<key id hex>+<base64(alg || public key)>`: give it to verifiers. */
  readonly verifierKey: string;
}

const PRIVATE_PREFIX = 'PRIVATE+KEY+';
const KEY_ID_HEX = /^[0-9a-f]{8}$/;

/**
 * The key id of a key, per C2SP signed-note: the first 4 bytes, big-endian, of
 * `SHA-256(name || 0x0A || algorithm || publicKey)`.
 */
export function noteKeyId(name: string, algorithm: NoteKeyAlgorithm, publicKey: Uint8Array): number {
  const nameBytes = utf8(name);
  const input = new Uint8Array(nameBytes.length + 2 + publicKey.length);
  input.set(nameBytes, 0);
  input[nameBytes.length] = 0x0a;
  input[nameBytes.length + 1] = algorithm;
  input.set(publicKey, nameBytes.length + 2);
  const digest = sha256(input);
  return new DataView(digest.buffer, digest.byteOffset, 4).getUint32(0);
}

/** A key id as 8 lowercase hex digits, as in key strings. */
export function formatKeyId(keyId: number): string {
  return (keyId >>> 0).toString(16).padStart(8, '0');
}

/**
 * A note key from a 32-byte seed. Randomness is injected: the caller draws `seed` from a CSPRNG (or
 * a KMS); the same name, seed and algorithm always give the same key. Use algorithm 0x01 for a log
 * (calendar) key and 0x04 for a witness key.
 */
export function generateNoteKey(
  name: string,
  seed: Uint8Array,
  algorithm: NoteKeyAlgorithm = NOTE_ALG_ED25519,
): GeneratedNoteKey {
  const signer = signerFromSeed(name, algorithm, seed);
  const keyId = formatKeyId(signer.keyId);
  return {
    signer,
    signerKey: `${PRIVATE_PREFIX}${name}+${keyId}+${encodeBase64(prefixed(algorithm, seed))}`,
    verifierKey: formatVerifierKey(signer),
  };
}

/** The verifier key string `<name>+<key id hex>+<base64(alg || public key)>` of `key`. */
export function formatVerifierKey(key: NoteVerifierKey): string {
  checkName(key.name);
  checkAlgorithm(key.algorithm);
  if (key.publicKey.length !== ED25519_PUBLIC_KEY_SIZE) {
    throw new NoteError('KEY_MALFORMED', `public key has ${key.publicKey.length} bytes, want 32`);
  }
  return `${key.name}+${formatKeyId(key.keyId)}+${encodeBase64(prefixed(key.algorithm, key.publicKey))}`;
}

/** The public half of `key` (drops the signing function of a signer). */
export function verifierKeyOf(key: NoteVerifierKey): NoteVerifierKey {
  return { name: key.name, keyId: key.keyId, algorithm: key.algorithm, publicKey: key.publicKey };
}

/**
 * Parses a verifier key string strictly: `<name>+<8 lowercase hex>+<canonical base64 of 33 bytes>`,
 * a valid name, a supported algorithm byte, the key id equal to the one the rest gives, and a public
 * key that is a canonical Ed25519 point of large order (a small-order key would accept forgeries).
 * `text` is hostile input (configuration, a policy file).
 */
export function parseVerifierKey(text: string): NoteVerifierKey {
  const [name, keyIdHex, material] = splitKey(text);
  const { algorithm, key } = decodeKeyMaterial(material);
  const keyId = noteKeyId(name, algorithm, key);
  checkKeyId(name, keyIdHex, keyId);
  checkPublicKey(key);
  return { name, keyId, algorithm, publicKey: key };
}

/**
 * Parses a signer key string strictly: `PRIVATE+KEY+<name>+<8 lowercase hex>+<base64(alg || seed)>`,
 * with the key id equal to the one of the derived public key. `text` is a secret from configuration.
 */
export function parseSignerKey(text: string): NoteSigner {
  if (!text.startsWith(PRIVATE_PREFIX)) {
    throw new NoteError('KEY_MALFORMED', 'signer key does not start with PRIVATE+KEY+');
  }
  const [name, keyIdHex, material] = splitKey(text.slice(PRIVATE_PREFIX.length));
  const { algorithm, key } = decodeKeyMaterial(material);
  const signer = signerFromSeed(name, algorithm, key);
  checkKeyId(name, keyIdHex, signer.keyId);
  return signer;
}

function signerFromSeed(name: string, algorithm: NoteKeyAlgorithm, seed: Uint8Array): NoteSigner {
  checkName(name);
  checkAlgorithm(algorithm);
  if (seed.length !== ED25519_SEED_SIZE) {
    throw new NoteError('KEY_MALFORMED', `seed has ${seed.length} bytes, want ${ED25519_SEED_SIZE}`);
  }
  const secret = new Uint8Array(seed);
  const publicKey = ed25519PublicKey(secret);
  return {
    name,
    keyId: noteKeyId(name, algorithm, publicKey),
    algorithm,
    publicKey,
    sign: (message) => ed25519Sign(secret, message),
  };
}

function splitKey(text: string): [string, string, string] {
  const first = text.indexOf('+');
  const second = first < 0 ? -1 : text.indexOf('+', first + 1);
  if (second < 0) throw new NoteError('KEY_MALFORMED', 'key is not <name>+<key id>+<key>');
  const name = text.slice(0, first);
  checkName(name);
  return [name, text.slice(first + 1, second), text.slice(second + 1)];
}

function decodeKeyMaterial(material: string): { algorithm: NoteKeyAlgorithm; key: Uint8Array } {
  const bytes = decodeBase64(material);
  if (bytes === undefined || bytes.length === 0) {
    throw new NoteError('KEY_MALFORMED', 'key material is not canonical base64');
  }
  const algorithm = bytes[0] ?? 0;
  if (algorithm !== NOTE_ALG_ED25519 && algorithm !== NOTE_ALG_COSIGNATURE_V1) {
    throw new NoteError(
      'UNSUPPORTED_ALGORITHM',
      `key algorithm 0x${algorithm.toString(16)} is not supported`,
    );
  }
  if (bytes.length !== 1 + ED25519_PUBLIC_KEY_SIZE) {
    throw new NoteError('KEY_MALFORMED', `key material has ${bytes.length} bytes, want 33`);
  }
  return { algorithm, key: bytes.slice(1) };
}

function checkPublicKey(publicKey: Uint8Array): void {
  if (!isStrongEd25519PublicKey(publicKey)) {
    throw new NoteError('KEY_MALFORMED', 'public key is not a canonical Ed25519 point of large order');
  }
}

function checkKeyId(name: string, keyIdHex: string, keyId: number): void {
  if (!KEY_ID_HEX.test(keyIdHex)) {
    throw new NoteError('KEY_MALFORMED', 'key id is not 8 lowercase hex digits');
  }
  if (keyIdHex !== formatKeyId(keyId)) {
    throw new NoteError('KEY_ID_MISMATCH', `key id ${keyIdHex} of ${name} does not match its key`);
  }
}

function checkName(name: string): void {
  if (!isValidKeyName(name)) {
    throw new NoteError('NAME_INVALID', 'key name is empty or has a space, a + or a control character');
  }
}

function checkAlgorithm(algorithm: number): void {
  if (algorithm !== NOTE_ALG_ED25519 && algorithm !== NOTE_ALG_COSIGNATURE_V1) {
    throw new NoteError('UNSUPPORTED_ALGORITHM', `key algorithm ${algorithm} is not supported`);
  }
}

function prefixed(algorithm: NoteKeyAlgorithm, key: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + key.length);
  out[0] = algorithm;
  out.set(key, 1);
  return out;
}
