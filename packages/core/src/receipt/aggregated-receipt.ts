import type { Receipt, ReceiptProof } from './receipt.js';

/**
 * Receipt v2 (docs/PROOFS.md §13): one self-contained document proving one locally aggregated event.
 * Version 1 stays as it is; a v2 receipt embeds a v1 receipt, that of its local tree's root event.
 */
export const AGGREGATED_RECEIPT_VERSION = 2;

export interface AggregatedReceipt {
  readonly version: typeof AGGREGATED_RECEIPT_VERSION;
  /** Aggregated event v1 bytes (§12). */
  readonly event: Uint8Array;
  /** The event's leaf in the local tree (treeSize = the leaf count its root event binds). */
  readonly localProof: ReceiptProof;
  /** The receipt v1 of the root event, which binds the local tree's root and leaf count. */
  readonly rootReceipt: Receipt;
}
