import { HASH_SIZE } from '@msi/merkle';
import { parseCheckpointNote } from '../checkpoint/index.js';
import type { Receipt, ReceiptProof, ReceiptRecords } from '../receipt/index.js';
import { type CborMap, type CborValue, encodeCbor } from './cbor.js';
import {
  COSE_SIGN1_TAG,
  COSE_VDP,
  type CoseTreeHead,
  cbor,
  exactKeys,
  MSI_LEVELS_LABEL,
  malformed,
  readCoseTreeHead,
  readProtectedHeader,
  readSign1,
  unsupported,
  VDP_INCLUSION,
} from './cose-tree-head.js';
import { ScittError } from './scitt-error.js';

/** The version of MSI's levels header (label −65537): the first element of its array. */
export const MSI_LEVELS_VERSION = 1;

/** A COSE receipt of an event (docs/PROOFS.md §16), as read: nothing in it is verified yet. */
export interface CoseReceipt {
  readonly treeHead: CoseTreeHead;
  /** The round's inclusion in the calendar: the draft's RFC9162_SHA256 inclusion proof. */
  readonly inclusion: ReceiptProof;
  /** The event, the seal, the round and the proofs between them (the private levels header). */
  readonly levels: ReceiptRecords;
}

/**
 * The COSE receipt of a receipt v1's event (docs/PROOFS.md §16): the calendar's COSE tree head of the
 * receipt's checkpoint, with the round's inclusion proof as the draft's inclusion proof (label 396,
 * −1) and the levels below the calendar in MSI's private header (label −65537). The tree head MUST be
 * of the receipt's checkpoint (origin and size; TREE_HEAD_MISMATCH), and the calendar MUST have at
 * least 2 rounds (the draft's inclusion path holds at least one hash). Nothing is verified here:
 * verifyCoseReceipt does, with the log's key.
 */
export function coseReceiptOf(receipt: Receipt, treeHeadBytes: Uint8Array): Uint8Array {
  const treeHead = readCoseTreeHead(treeHeadBytes);
  const { checkpoint } = parseCheckpointNote(receipt.checkpoint);
  if (treeHead.origin !== checkpoint.origin || treeHead.size !== checkpoint.size) {
    throw new ScittError(
      'TREE_HEAD_MISMATCH',
      `the tree head is of ${treeHead.origin} at ${treeHead.size}, the receipt's checkpoint of ${checkpoint.origin} at ${checkpoint.size}`,
    );
  }
  if (receipt.roundProof.hashes.length === 0) {
    throw new ScittError(
      'TREE_HEAD_MISMATCH',
      'a calendar of one round has no inclusion path: wait for round 1',
    );
  }
  const unprotected: CborMap = new Map<number, CborValue>([
    [COSE_VDP, new Map([[VDP_INCLUSION, [encodeCbor(proofValue(receipt.roundProof))]]])],
    [
      MSI_LEVELS_LABEL,
      [
        MSI_LEVELS_VERSION,
        receipt.event,
        proofValue(receipt.eventProof),
        receipt.seal,
        proofValue(receipt.sealProof),
        receipt.round,
      ],
    ],
  ]);
  return encodeCbor({
    tag: COSE_SIGN1_TAG,
    value: [treeHead.protectedHeader, unprotected, null, treeHead.signature],
  });
}

/** `[tree-size, leaf-index, [* hash]]`: the draft's inclusion proof array. */
function proofValue(proof: ReceiptProof): CborValue {
  return [proof.treeSize, proof.leafIndex, [...proof.hashes]];
}

/**
 * Reads a COSE receipt (hostile input) strictly, steps 1–3 of docs/PROOFS.md §16: deterministic CBOR
 * of a tagged COSE_Sign1 with a detached payload; the protected header of exactly alg −8, kid, CWT
 * claims {iss}, vds 1 and the tree size; the unprotected header of exactly 396 {−1: [one inclusion
 * proof]} and −65537 (the levels). Throws SCITT_MALFORMED or SCITT_UNSUPPORTED.
 */
export function readCoseReceipt(bytes: Uint8Array): CoseReceipt {
  const [protectedHeader, unprotected, signature] = readSign1(bytes);
  const treeHead = { ...readProtectedHeader(protectedHeader), protectedHeader, signature };
  exactKeys(unprotected, [COSE_VDP, MSI_LEVELS_LABEL], 'unprotected header');
  const proofs = unprotected.get(COSE_VDP);
  if (!(proofs instanceof Map)) throw malformed('vdp (396) is not a map');
  exactKeys(proofs, [VDP_INCLUSION], 'vdp');
  const inclusions = proofs.get(VDP_INCLUSION);
  if (!Array.isArray(inclusions) || inclusions.length !== 1 || !(inclusions[0] instanceof Uint8Array)) {
    throw malformed('inclusion proofs (−1) are not an array of one byte string');
  }
  const inclusion = readProof(cbor(inclusions[0], 'the inclusion proof'), 'inclusion proof', 1);
  return { treeHead, inclusion, levels: readLevels(unprotected.get(MSI_LEVELS_LABEL) ?? null) };
}

function readLevels(value: CborValue): ReceiptRecords {
  if (!Array.isArray(value) || value.length < 1) throw malformed('levels (−65537) are not an array');
  if (value[0] !== MSI_LEVELS_VERSION) throw unsupported(`levels version ${String(value[0])}, want 1`);
  if (value.length !== 6) throw malformed('levels v1 are not an array of 6');
  const [, event, eventProof, seal, sealProof, round] = value as CborValue[];
  if (!(event instanceof Uint8Array) || !(seal instanceof Uint8Array) || !(round instanceof Uint8Array)) {
    throw malformed('the event, seal or round of the levels is not a byte string');
  }
  return {
    event,
    eventProof: readProof(eventProof ?? null, 'event proof', 0),
    seal,
    sealProof: readProof(sealProof ?? null, 'seal proof', 0),
    round,
  };
}

/** `[tree-size: uint, leaf-index: uint, [* bstr .size 32]]` with at least `minHashes` hashes. */
function readProof(value: CborValue, what: string, minHashes: number): ReceiptProof {
  if (!Array.isArray(value) || value.length !== 3) throw malformed(`${what} is not an array of 3`);
  const [treeSize, leafIndex, path] = value as CborValue[];
  if (typeof treeSize !== 'number' || treeSize < 0 || typeof leafIndex !== 'number' || leafIndex < 0) {
    throw malformed(`${what}: tree size and leaf index are not unsigned integers`);
  }
  if (!Array.isArray(path) || path.length < minHashes) {
    throw malformed(`${what}: the path is not an array of at least ${minHashes} hashes`);
  }
  const hashes = (path as CborValue[]).map((hash) => {
    if (!(hash instanceof Uint8Array) || hash.length !== HASH_SIZE)
      throw malformed(`${what}: a hash is not 32 bytes`);
    return hash;
  });
  return { treeSize, leafIndex, hashes };
}
