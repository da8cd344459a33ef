/** What the store keeps of a sealed local tree (docs/PROOFS.md §12): enough to prove every event of it. */
export interface SealedTree {
  /** The tree's id: its root event's id as UUID text. */
  readonly treeId: string;
  /** Its number of aggregated events (≥ 1). */
  readonly leafCount: number;
  /** MTH over the aggregated leaf hashes (32 bytes). */
  readonly root: Uint8Array;
  /** The leaf hashes, 32 bytes each, in tree order. */
  readonly leafHashes: Uint8Array;
  /** The byte length of each aggregated event, in tree order (they are stored back to back). */
  readonly eventLengths: Uint32Array;
  /**
   * The root event exactly as the client submits it (msi.event.v1.DataEvent encoding), so that a
   * client restarted before it was durable resubmits the same event (same id: deduplicated).
   */
  readonly rootEvent: Uint8Array;
}

/** A sealed tree read back, with its events and, once anchored, its root event's receipt. */
export interface StoredTree extends SealedTree {
  /** Every aggregated event's bytes, back to back. */
  readonly events: Uint8Array;
  /** The root event's receipt v1 (canonical JSON), once its round is anchored. */
  readonly rootReceiptJson: string | undefined;
}

/**
 * Where the client keeps what proves its events: the aggregated events' bytes (which never leave
 * the machine), each local tree's index, the root receipts, and individual events' receipts. The
 * client writes a tree's events while it is open, seals it (durably, before its root event is
 * submitted), then adds the root receipt. Implementations: FileReceiptStore (a directory, the
 * default) and MemoryReceiptStore. Methods reject on failure; the client reports STORE_FAILED.
 */
export interface ReceiptStore {
  /** Appends aggregated event bytes (whole events, back to back) to tree `treeId`'s events. */
  appendEvents(treeId: string, bytes: Uint8Array): Promise<void>;
  /** Stores a sealed tree's index; its events (all appended before) and it MUST be durable on return. */
  sealTree(tree: SealedTree): Promise<void>;
  /** Stores the root event's receipt v1 of a sealed tree. */
  putRootReceipt(treeId: string, receiptJson: string): Promise<void>;
  /** Stores an individual event's receipt v1, under the event id's UUID text. */
  putReceipt(eventId: string, receiptJson: string): Promise<void>;
  /** An individual event's stored receipt, if any. */
  getReceipt(eventId: string): Promise<string | undefined>;
  /** The sealed trees, oldest first, with whether their root receipt is stored. */
  listTrees(): Promise<{ readonly treeId: string; readonly anchored: boolean }[]>;
  /** A sealed tree with its events and root receipt. Rejects for an unknown tree. */
  readTree(treeId: string): Promise<StoredTree>;
  /** Releases what the store holds open. */
  close(): Promise<void>;
}
