import { RECEIPT_VERSION, type Receipt, type ReceiptExtension, type ReceiptProof } from './receipt.js';

/** The parts of a receipt, as the services that hold them produce them. */
export interface ReceiptParts {
  readonly event: Uint8Array;
  readonly eventProof: ReceiptProof;
  readonly seal: Uint8Array;
  readonly sealProof: ReceiptProof;
  readonly round: Uint8Array;
  readonly roundProof: ReceiptProof;
  readonly checkpoint: string;
}

/** A receipt v1 from its parts (no verification: callers verify before handing it out). */
export function assembleReceipt(parts: ReceiptParts): Receipt {
  return { version: RECEIPT_VERSION, ...parts };
}

/**
 * The receipt extended to a later checkpoint: `consistency` proves the receipt's checkpoint is a
 * prefix of `laterCheckpoint`. Replaces any earlier extension.
 */
export function extendReceipt(receipt: Receipt, extension: ReceiptExtension): Receipt {
  const { extension: _previous, ...rest } = receipt;
  return {
    ...rest,
    extension: { checkpoint: extension.checkpoint, consistency: [...extension.consistency] },
  };
}
