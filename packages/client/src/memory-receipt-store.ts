import { MsiClientError } from './client-error.js';
import type { ReceiptStore, SealedTree, StoredTree } from './receipt-store.js';

/** A ReceiptStore in memory: for tests and short-lived processes (nothing survives the process). */
export class MemoryReceiptStore implements ReceiptStore {
  readonly #events = new Map<string, Uint8Array[]>();
  readonly #trees = new Map<string, SealedTree>();
  readonly #roots = new Map<string, string>();
  readonly #receipts = new Map<string, string>();

  async appendEvents(treeId: string, bytes: Uint8Array): Promise<void> {
    const chunks = this.#events.get(treeId) ?? [];
    chunks.push(bytes.slice());
    this.#events.set(treeId, chunks);
  }

  async sealTree(tree: SealedTree): Promise<void> {
    this.#trees.set(tree.treeId, tree);
  }

  async putRootReceipt(treeId: string, receiptJson: string): Promise<void> {
    this.#roots.set(treeId, receiptJson);
  }

  async putReceipt(eventId: string, receiptJson: string): Promise<void> {
    this.#receipts.set(eventId, receiptJson);
  }

  async getReceipt(eventId: string): Promise<string | undefined> {
    return this.#receipts.get(eventId);
  }

  async listTrees(): Promise<{ treeId: string; anchored: boolean }[]> {
    return [...this.#trees.keys()].sort().map((treeId) => ({ treeId, anchored: this.#roots.has(treeId) }));
  }

  async readTree(treeId: string): Promise<StoredTree> {
    const tree = this.#trees.get(treeId);
    if (tree === undefined) throw new MsiClientError('STORE_FAILED', `no sealed tree ${treeId}`);
    const chunks = this.#events.get(treeId) ?? [];
    const events = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const chunk of chunks) {
      events.set(chunk, at);
      at += chunk.length;
    }
    return { ...tree, events, rootReceiptJson: this.#roots.get(treeId) };
  }

  async close(): Promise<void> {}
}
