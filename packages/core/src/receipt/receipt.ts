/** Receipt v1 (docs/PROOFS.md §8): one self-contained document proving one event. */
export const RECEIPT_VERSION = 1;

/** An RFC 9162 inclusion proof with its coordinates. */
export interface ReceiptProof {
  readonly leafIndex: number;
  readonly treeSize: number;
  readonly hashes: readonly Uint8Array[];
}

/** A later checkpoint and the consistency proof from the receipt's checkpoint to it. */
export interface ReceiptExtension {
  readonly checkpoint: string;
  readonly consistency: readonly Uint8Array[];
}

export interface Receipt {
  readonly version: typeof RECEIPT_VERSION;
  /** Canonical event v1 bytes. */
  readonly event: Uint8Array;
  /** The event leaf in the seal's tree (treeSize = the seal's leaf_count). */
  readonly eventProof: ReceiptProof;
  /** Seal record v1 bytes. */
  readonly seal: Uint8Array;
  /** The seal leaf in the round's tree (treeSize = the round's seal_count). */
  readonly sealProof: ReceiptProof;
  /** Round record v1 bytes. */
  readonly round: Uint8Array;
  /** The round leaf in the calendar (leafIndex = k, treeSize = the checkpoint's size). */
  readonly roundProof: ReceiptProof;
  /** The checkpoint note text with its signatures and cosignatures. */
  readonly checkpoint: string;
  readonly extension?: ReceiptExtension;
}
