import { RECEIPT_VERSION, type Receipt, type ReceiptProof } from '@msi/core';
import type { receiptV1 } from '@msi/proto';
import { WireError } from './wire-error.js';

/** The protobuf form of a receipt (msi.receipt.v1.Receipt); lossless. */
export function receiptToProto(receipt: Receipt): receiptV1.Receipt {
  const proof = (p: ReceiptProof): receiptV1.InclusionProof => ({
    leafIndex: BigInt(p.leafIndex),
    treeSize: BigInt(p.treeSize),
    hashes: p.hashes.map((hash) => Buffer.from(hash)),
  });
  return {
    version: receipt.version,
    event: Buffer.from(receipt.event),
    eventProof: proof(receipt.eventProof),
    seal: Buffer.from(receipt.seal),
    sealProof: proof(receipt.sealProof),
    round: Buffer.from(receipt.round),
    roundProof: proof(receipt.roundProof),
    checkpoint: receipt.checkpoint,
    extension:
      receipt.extension === undefined
        ? undefined
        : {
            checkpoint: receipt.extension.checkpoint,
            consistency: receipt.extension.consistency.map((h) => Buffer.from(h)),
          },
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
