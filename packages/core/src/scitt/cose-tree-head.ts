import type { Checkpoint } from '../checkpoint/index.js';
import { NOTE_ALG_ED25519, type NoteSigner } from '../note/index.js';
import { type CborMap, type CborValue, decodeCbor, encodeCbor } from './cbor.js';
import { ScittError } from './scitt-error.js';

/** COSE header labels and values (RFC 9052, RFC 9597, draft-ietf-cose-merkle-tree-proofs). */
export const COSE_ALG = 1;
export const COSE_KID = 4;
export const COSE_CWT_CLAIMS = 15;
export const CWT_ISS = 1;
export const COSE_VDS = 395;
export const COSE_VDP = 396;
export const VDP_INCLUSION = -1;
/** EdDSA (RFC 9053): Ed25519 for the calendar's key. */
export const COSE_ALG_EDDSA = -8;
export const VDS_RFC9162_SHA256 = 1;
/** Private-use labels (below −65536) of MSI: the signed tree size, the levels below the calendar. */
export const MSI_TREE_SIZE_LABEL = -65538;
export const MSI_LEVELS_LABEL = -65537;
/** The CBOR tag of COSE_Sign1. */
export const COSE_SIGN1_TAG = 18;

/** What the calendar signs with COSE: its tree (origin, size, root) under its log key. */
export interface CoseTreeHead {
  readonly origin: string;
  /** The log key's note key id (uint32), written as the 4-byte `kid`. */
  readonly keyId: number;
  readonly size: number;
  /** The protected header as carried (its bytes are signed). */
  readonly protectedHeader: Uint8Array;
  readonly signature: Uint8Array;
}

/**
 * The protected header of every MSI COSE receipt (docs/PROOFS.md §16), deterministic CBOR:
 * `{1: -8, 4: kid, 15: {1: origin}, 395: 1, -65538: size}`.
 */
export function coseProtectedHeader(origin: string, keyId: number, size: number): Uint8Array {
  const header: CborMap = new Map<number, CborValue>([
    [COSE_ALG, COSE_ALG_EDDSA],
    [COSE_KID, keyIdBytes(keyId)],
    [COSE_CWT_CLAIMS, new Map([[CWT_ISS, origin]])],
    [COSE_VDS, VDS_RFC9162_SHA256],
    [MSI_TREE_SIZE_LABEL, size],
  ]);
  return encodeCbor(header);
}

/**
 * The bytes a COSE_Sign1 signature covers (RFC 9052 §4.4): `["Signature1", protected, h'', root]`,
 * the payload being the Merkle root the inclusion proof leads to (detached from the receipt).
 */
export function coseSigStructure(protectedHeader: Uint8Array, root: Uint8Array): Uint8Array {
  return encodeCbor(['Signature1', protectedHeader, new Uint8Array(0), root]);
}

/**
 * The calendar's COSE signature of a checkpoint's tree (docs/PROOFS.md §16): a COSE_Sign1 with the
 * protected header above, an empty unprotected header, a detached payload (the root) and the Ed25519
 * signature of the log key over the Sig_structure. Every COSE receipt against this tree reuses it.
 * The signer MUST be the log key of the checkpoint's origin (its checkpoint key: the messages cannot
 * be confused, §16). Deterministic: the same tree and key give the same bytes.
 */
export function signCoseTreeHead(signer: NoteSigner, checkpoint: Checkpoint): Uint8Array {
  if (signer.algorithm !== NOTE_ALG_ED25519 || signer.name !== checkpoint.origin) {
    throw new ScittError('TREE_HEAD_MISMATCH', `${signer.name} is not the log key of ${checkpoint.origin}`);
  }
  const protectedHeader = coseProtectedHeader(checkpoint.origin, signer.keyId, checkpoint.size);
  const signature = signer.sign(coseSigStructure(protectedHeader, checkpoint.root));
  return encodeCbor({ tag: COSE_SIGN1_TAG, value: [protectedHeader, new Map(), null, signature] });
}

/**
 * Reads a COSE tree head as signCoseTreeHead writes it (hostile input: it comes over HTTP). Its
 * signature is not checked here: a receipt made from it is verified as a whole. Throws
 * SCITT_MALFORMED / SCITT_UNSUPPORTED.
 */
export function readCoseTreeHead(bytes: Uint8Array): CoseTreeHead {
  const [protectedHeader, unprotected, signature] = readSign1(bytes);
  if (unprotected.size !== 0) throw malformed('a tree head has an empty unprotected header');
  return { ...readProtectedHeader(protectedHeader), protectedHeader, signature };
}

/** The parts of a tagged COSE_Sign1 with a detached payload and a 64-byte signature. */
export function readSign1(bytes: Uint8Array): [Uint8Array, CborMap, Uint8Array] {
  const value = cbor(bytes, 'the COSE_Sign1');
  if (!isTag(value) || value.tag !== COSE_SIGN1_TAG) throw malformed('not tagged 18 (COSE_Sign1)');
  const parts = value.value;
  if (!Array.isArray(parts) || parts.length !== 4) throw malformed('COSE_Sign1 is not an array of 4');
  const [protectedHeader, unprotected, payload, signature] = parts as CborValue[];
  if (!(protectedHeader instanceof Uint8Array)) throw malformed('the protected header is not a byte string');
  if (!(unprotected instanceof Map)) throw malformed('the unprotected header is not a map');
  if (payload !== null) throw malformed('the payload is not detached (nil)');
  if (!(signature instanceof Uint8Array) || signature.length !== 64) {
    throw malformed('the signature is not 64 bytes (Ed25519)');
  }
  return [protectedHeader, unprotected, signature];
}

/** The protected header's values, exactly the five labels of coseProtectedHeader. */
export function readProtectedHeader(bytes: Uint8Array): Pick<CoseTreeHead, 'origin' | 'keyId' | 'size'> {
  const header = cbor(bytes, 'the protected header');
  if (!(header instanceof Map)) throw malformed('the protected header is not a map');
  exactKeys(header, [COSE_ALG, COSE_KID, COSE_CWT_CLAIMS, COSE_VDS, MSI_TREE_SIZE_LABEL], 'protected header');
  if (header.get(COSE_ALG) !== COSE_ALG_EDDSA)
    throw unsupported(`alg ${String(header.get(COSE_ALG))}, want -8 (EdDSA)`);
  if (header.get(COSE_VDS) !== VDS_RFC9162_SHA256) {
    throw unsupported(`vds ${String(header.get(COSE_VDS))}, want 1 (RFC9162_SHA256)`);
  }
  const kid = header.get(COSE_KID);
  if (!(kid instanceof Uint8Array) || kid.length !== 4) throw malformed('kid is not 4 bytes');
  const claims = header.get(COSE_CWT_CLAIMS);
  if (!(claims instanceof Map)) throw malformed('CWT claims are not a map');
  exactKeys(claims, [CWT_ISS], 'CWT claims');
  const origin = claims.get(CWT_ISS);
  if (typeof origin !== 'string' || origin === '') throw malformed('iss is not a non-empty text');
  const size = header.get(MSI_TREE_SIZE_LABEL);
  if (typeof size !== 'number' || size < 1) throw malformed('the tree size is not an integer ≥ 1');
  return { origin, keyId: new DataView(kid.buffer, kid.byteOffset, 4).getUint32(0), size };
}

export function exactKeys(map: CborMap, keys: readonly (number | string)[], what: string): void {
  const missing = keys.filter((key) => !map.has(key));
  const extra = [...map.keys()].filter((key) => !keys.includes(key));
  if (missing.length > 0 || extra.length > 0) {
    throw malformed(`${what}: labels ${[...map.keys()].join(', ')}, want exactly ${keys.join(', ')}`);
  }
}

export function cbor(bytes: Uint8Array, what: string): CborValue {
  try {
    return decodeCbor(bytes);
  } catch (error: unknown) {
    throw new ScittError(
      'SCITT_MALFORMED',
      `${what}: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
      },
    );
  }
}

function isTag(value: CborValue): value is { tag: number; value: CborValue } {
  return value !== null && typeof value === 'object' && 'tag' in value;
}

function keyIdBytes(keyId: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, keyId);
  return bytes;
}

export function malformed(message: string): ScittError {
  return new ScittError('SCITT_MALFORMED', `COSE receipt: ${message}`);
}

export function unsupported(message: string): ScittError {
  return new ScittError('SCITT_UNSUPPORTED', `COSE receipt: ${message}`);
}
