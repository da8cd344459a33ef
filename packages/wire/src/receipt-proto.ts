import { RECEIPT_VERSION, type Receipt, type ReceiptProof } from '@msi/core';
import type { receiptV1 } from '@msi/proto';
import { asBuffer } from './as-buffer.js';
import { WireError } from './wire-error.js';

/**
 * The protobuf form of a receipt (msi.receipt.v1.Receipt); lossless. Its bytes fields are views of
 * the receipt's (no copy): neither may be changed while the other is in use.
 */
export function receiptToProto(receipt: Receipt): receiptV1.Receipt {
  return {
    version: receipt.version,
    event: asBuffer(receipt.event),
    eventProof: proofToProto(receipt.eventProof),
    seal: asBuffer(receipt.seal),
    sealProof: proofToProto(receipt.sealProof),
    round: asBuffer(receipt.round),
    roundProof: proofToProto(receipt.roundProof),
    checkpoint: receipt.checkpoint,
    extension: extensionToProto(receipt),
  };
}

/**
 * The parts of a receipt that every receipt of its seal against the same checkpoint shares (the
 * `anchors` of a WatchReceipts message with `shared_anchors`): `version`, `seal`, `seal_proof`,
 * `round`, `round_proof`, `checkpoint` and `extension`; no event, no event proof.
 */
export function receiptAnchorToProto(receipt: Receipt): receiptV1.Receipt {
  return {
    version: receipt.version,
    event: EMPTY,
    eventProof: undefined,
    seal: asBuffer(receipt.seal),
    sealProof: proofToProto(receipt.sealProof),
    round: asBuffer(receipt.round),
    roundProof: proofToProto(receipt.roundProof),
    checkpoint: receipt.checkpoint,
    extension: extensionToProto(receipt),
  };
}

/** A receipt's own parts, beside a shared anchor: `version`, `event` and `event_proof` only. */
export function receiptEventToProto(receipt: Receipt): receiptV1.Receipt {
  return {
    version: receipt.version,
    event: asBuffer(receipt.event),
    eventProof: proofToProto(receipt.eventProof),
    seal: EMPTY,
    sealProof: undefined,
    round: EMPTY,
    roundProof: undefined,
    checkpoint: '',
    extension: undefined,
  };
}

/**
 * The whole receipt from a shared anchor (receiptAnchorToProto) and a receipt's own parts
 * (receiptEventToProto), as protobuf merging of the two would give it. Throws WireError
 * INVALID_ARGUMENT naming `path` when the two are of different receipt versions.
 */
export function joinReceiptParts(
  anchor: receiptV1.Receipt,
  own: receiptV1.Receipt,
  path = 'receipt',
): receiptV1.Receipt {
  if (anchor.version !== own.version) {
    throw new WireError(
      'INVALID_ARGUMENT',
      `${path}.version`,
      `the receipt is version ${own.version}, its anchor version ${anchor.version}`,
    );
  }
  return { ...anchor, event: own.event, eventProof: own.eventProof };
}

const EMPTY = Buffer.alloc(0);

function proofToProto(p: ReceiptProof): receiptV1.InclusionProof {
  return {
    leafIndex: BigInt(p.leafIndex),
    treeSize: BigInt(p.treeSize),
    hashes: p.hashes.map(asBuffer),
  };
}

function extensionToProto(receipt: Receipt): receiptV1.Extension | undefined {
  return receipt.extension === undefined
    ? undefined
    : {
        checkpoint: receipt.extension.checkpoint,
        consistency: receipt.extension.consistency.map(asBuffer),
      };
}

/**
 * Narrows a protobuf receipt (hostile input) into the domain receipt; only the shape is checked here,
 * verifyReceipt checks the contents. Throws WireError INVALID_ARGUMENT naming the field.
 */
export function receiptFromProto(message: receiptV1.Receipt, path = 'receipt'): Receipt {
  if (message.version !== RECEIPT_VERSION) {
    throw new WireError(
      'INVALID_ARGUMENT',
      `${path}.version`,
      `receipt version ${message.version} is not supported (want 1)`,
    );
  }
  const proof = (p: receiptV1.InclusionProof | undefined, name: string): ReceiptProof => {
    if (p === undefined) throw new WireError('INVALID_ARGUMENT', `${path}.${name}`, `${name} is required`);
    return {
      leafIndex: safe(p.leafIndex, `${path}.${name}.leaf_index`),
      treeSize: safe(p.treeSize, `${path}.${name}.tree_size`),
      hashes: p.hashes.map((hash) => Uint8Array.from(hash)),
    };
  };
  return {
    version: RECEIPT_VERSION,
    event: Uint8Array.from(message.event),
    eventProof: proof(message.eventProof, 'event_proof'),
    seal: Uint8Array.from(message.seal),
    sealProof: proof(message.sealProof, 'seal_proof'),
    round: Uint8Array.from(message.round),
    roundProof: proof(message.roundProof, 'round_proof'),
    checkpoint: message.checkpoint,
    ...(message.extension === undefined
      ? {}
      : {
          extension: {
            checkpoint: message.extension.checkpoint,
            consistency: message.extension.consistency.map((hash) => Uint8Array.from(hash)),
          },
        }),
  };
}

function safe(value: bigint, field: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER))
    throw new WireError('INVALID_ARGUMENT', field, `${field} exceeds 2^53 - 1`);
  return Number(value);
}
