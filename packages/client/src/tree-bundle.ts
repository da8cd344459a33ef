import { bytesEqual, formatAggregatedReceipt, formatUuid } from '@msi/core';
import { type MerkleHasher, MerkleTree } from '@msi/merkle';
import { MsiClientError } from './client-error.js';
import type { StoredTree } from './receipt-store.js';

/** Where an aggregated event's id sits in its bytes (after "MSIA" and the version, docs/PROOFS.md §12). */
const EVENT_ID_AT = 5;

/** One receipt v2 of a bundle. */
export interface BundleReceipt {
  readonly index: number;
  readonly eventId: Uint8Array;
  /** The receipt's canonical JSON (docs/PROOFS.md §13) as UTF-8, without a final newline. */
  readonly json: Uint8Array;
}

/**
 * A sealed local tree with what proves its events: the aggregated events, the tree rebuilt from the
 * stored leaf hashes (checked against the stored root), and, once anchored, the root event's receipt
 * v1. Every event's receipt v2 is made from these alone, on request (core formatAggregatedReceipt).
 */
export class TreeBundle {
  readonly treeId: string;
  readonly leafCount: number;
  readonly #events: Uint8Array;
  readonly #offsets: Float64Array;
  readonly #tree: MerkleTree;
  readonly #rootJson: Uint8Array | undefined;

  private constructor(stored: StoredTree, tree: MerkleTree, offsets: Float64Array) {
    this.treeId = stored.treeId;
    this.leafCount = stored.leafCount;
    this.#events = stored.events;
    this.#offsets = offsets;
    this.#tree = tree;
    this.#rootJson =
      stored.rootReceiptJson === undefined ? undefined : new TextEncoder().encode(stored.rootReceiptJson);
  }

  /**
   * The bundle of a stored tree. Checks that the stored events fill exactly their lengths and that
   * the leaf hashes lead to the stored root (STORE_FAILED otherwise).
   */
  static open(stored: StoredTree, hasher: MerkleHasher): TreeBundle {
    const offsets = new Float64Array(stored.leafCount + 1);
    for (let i = 0; i < stored.leafCount; i++) {
      offsets[i + 1] = (offsets[i] as number) + (stored.eventLengths[i] as number);
    }
    if (offsets[stored.leafCount] !== stored.events.length) {
      throw new MsiClientError(
        'STORE_FAILED',
        `tree ${stored.treeId}: ${stored.events.length} bytes of events, the index says ${offsets[stored.leafCount]}`,
      );
    }
    const tree = MerkleTree.fromLeafHashes(hasher, stored.leafHashes, stored.leafCount);
    if (!bytesEqual(tree.root(), stored.root)) {
      throw new MsiClientError(
        'STORE_FAILED',
        `tree ${stored.treeId}: the stored leaves do not lead to its root`,
      );
    }
    return new TreeBundle(stored, tree, offsets);
  }

  /** Whether the root event's receipt is here: receipts can be made. */
  get anchored(): boolean {
    return this.#rootJson !== undefined;
  }

  /** Aggregated event `index`'s bytes (a view). */
  event(index: number): Uint8Array {
    this.#check(index);
    return this.#events.subarray(this.#offsets[index], this.#offsets[index + 1]);
  }

  /** Aggregated event `index`'s id (a view of its bytes). */
  eventId(index: number): Uint8Array {
    const at = (this.#offsets[this.#check(index)] as number) + EVENT_ID_AT;
    return this.#events.subarray(at, at + 16);
  }

  /** The index of the event with `eventId`, or -1. */
  indexOf(eventId: Uint8Array): number {
    for (let i = 0; i < this.leafCount; i++) if (bytesEqual(this.eventId(i), eventId)) return i;
    return -1;
  }

  /** Event `index`'s receipt v2, canonical JSON as UTF-8. Throws NOT_ANCHORED before the root receipt. */
  receipt(index: number): Uint8Array {
    if (this.#rootJson === undefined) {
      throw new MsiClientError(
        'NOT_ANCHORED',
        `tree ${this.treeId} is not anchored yet: its receipts cannot be made`,
      );
    }
    return formatAggregatedReceipt(
      this.event(index),
      { leafIndex: index, treeSize: this.leafCount, hashes: this.#tree.inclusionProof(index) },
      this.#rootJson,
    );
  }

  /** Every event's receipt v2, in tree order. */
  *receipts(): Generator<BundleReceipt> {
    for (let index = 0; index < this.leafCount; index++) {
      yield { index, eventId: this.eventId(index), json: this.receipt(index) };
    }
  }

  /** The file name of event `index`'s receipt: its id as UUID text, `.json`. */
  fileName(index: number): string {
    return `${formatUuid(this.eventId(index))}.json`;
  }

  #check(index: number): number {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.leafCount) {
      throw new RangeError(`no event ${index} in a tree of ${this.leafCount}`);
    }
    return index;
  }
}
