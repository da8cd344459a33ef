import {
  type AggregatedEvent,
  type AggregateTemplate,
  bytesEqual,
  type DataEvent,
  EventError,
  formatUuid,
  mintUuidV7,
  readRootEvent,
  rootEventFields,
  TEMPLATE_ENTROPY_BYTES,
} from '@msi/core';
import type { WasmMerkleHasher } from '@msi/hash-wasm';
import { merkleRootOfLeafHashes } from '@msi/merkle';
import { eventV1 } from '@msi/proto';
import { MsiClientError } from './client-error.js';
import type { EntropyPool } from './entropy-pool.js';
import { eventToProto } from './event-to-proto.js';
import { OpenTree } from './open-tree.js';
import type { ReceiptStore } from './receipt-store.js';
import type { DurableAck } from './submit-queue.js';

/** How the client aggregates (ClientOptions.aggregation, resolved). */
export interface AggregationSettings {
  /** A local tree is sealed this often (ms), when it holds events. */
  readonly intervalMs: number;
  /** ...or as soon as it holds this many. */
  readonly maxLeaves: number;
  /** Aggregated events whose root event is not durable yet, at most (the bound of the queue). */
  readonly maxPendingEvents: number;
  /** The actor of root events (a claim). */
  readonly actor: string;
}

/** A root event's receipt as the client received and verified it. */
export interface VerifiedRootReceipt {
  /** Canonical JSON of the receipt v1. */
  readonly json: string;
  /** The root event it proves. */
  readonly event: DataEvent;
  /** The round that anchors it. */
  readonly round: number;
}

/** What the aggregator uses from the client. */
export interface AggregatorPorts {
  readonly hasher: WasmMerkleHasher;
  readonly store: ReceiptStore;
  readonly entropy: EntropyPool;
  /** The clock, ms. */
  readonly now: () => number;
  /** Submits a root event past the queue's bound; resolves once durable (retrying), or rejects. */
  readonly submitRoot: (event: eventV1.DataEvent) => Promise<DurableAck>;
  /** The verified receipt of a durable event, once anchored. */
  readonly rootReceiptOf: (eventId: Uint8Array) => Promise<VerifiedRootReceipt>;
  /** Called once per tree whose root receipt is stored. */
  readonly onAnchored: (tree: AnchoredTree) => void;
}

/** Where an aggregated event went: its tree and its position there. */
export interface AggregatedTicket {
  readonly eventId: Uint8Array;
  /** The local tree's id: its root event's id as UUID text. */
  readonly treeId: string;
  readonly index: number;
}

/** A local tree whose root event is anchored: every receipt of it can be made (TreeBundle). */
export interface AnchoredTree {
  readonly treeId: string;
  readonly leafCount: number;
  /** The calendar round that anchors the root event. */
  readonly round: number;
}

interface Open {
  readonly tree: OpenTree;
  readonly treeId: string;
  /** When the tree was opened (the clock, ms). */
  readonly openedAt: number;
  readonly rootEventId: Uint8Array;
  /** The store's appends of this tree's chunks, in order. */
  appends: Promise<void>;
}

/**
 * Local aggregation (docs/PROOFS.md §12): events go into the open local tree; every `intervalMs`, or
 * at `maxLeaves`, the tree is sealed — its index stored durably, then its root event submitted to
 * ingest (one event for the whole tree) — and once the root event is anchored its receipt is
 * verified against the tree and stored. Aggregated events count against `maxPendingEvents` until
 * their root event is durable. Failures of the store or of a root event are kept and reported by
 * flush() and anchored().
 */
export class Aggregator {
  readonly #s: AggregationSettings;
  readonly #ports: AggregatorPorts;
  #open: Open | undefined;
  #pending = 0;
  #roomWaiters: (() => void)[] = [];
  readonly #sealing = new Set<Promise<void>>();
  readonly #anchoring = new Set<Promise<void>>();
  #failure: MsiClientError | undefined;
  readonly #timer: NodeJS.Timeout;
  #sequence = 0;
  readonly #treeStarts: { readonly first: number; readonly treeId: string }[] = [];

  constructor(settings: AggregationSettings, ports: AggregatorPorts) {
    this.#s = settings;
    this.#ports = ports;
    this.#timer = setInterval(() => this.seal(), settings.intervalMs);
    this.#timer.unref();
  }

  /** Aggregated events not yet in a durable root event. */
  get pending(): number {
    return this.#pending;
  }

  /** True while another event may be aggregated without exceeding maxPendingEvents. */
  get hasRoom(): boolean {
    return this.#pending < this.#s.maxPendingEvents;
  }

  /** Resolves when there is room again (or at once). */
  room(): Promise<void> {
    if (this.hasRoom) return Promise.resolve();
    return new Promise((resolve) => this.#roomWaiters.push(resolve));
  }

  /** Adds an event to the open tree. Throws MsiClientError INVALID_EVENT (nothing is added then). */
  add(event: AggregatedEvent): AggregatedTicket {
    const open = this.#ensureOpen();
    let index: number;
    try {
      index = open.tree.addEvent(event);
    } catch (error: unknown) {
      if (error instanceof EventError) {
        throw new MsiClientError('INVALID_EVENT', error.message, error.field, { cause: error });
      }
      throw error;
    }
    this.#added(open);
    return { eventId: event.eventId, treeId: open.treeId, index };
  }

  /**
   * Adds an event of `template` with `digest` and `occurredAt` (µs), minting its id and nonce.
   * Returns its sequence number (see locate). Throws MsiClientError INVALID_EVENT.
   */
  addFromTemplate(
    template: AggregateTemplate,
    digest: Uint8Array,
    occurredAt: number,
    nowMs: number,
  ): number {
    const open = this.#ensureOpen();
    const { bytes, at } = this.#ports.entropy.take(TEMPLATE_ENTROPY_BYTES);
    try {
      open.tree.addFromTemplate(template, nowMs, bytes, at, digest, occurredAt);
    } catch (error: unknown) {
      if (error instanceof EventError) {
        throw new MsiClientError('INVALID_EVENT', error.message, error.field, { cause: error });
      }
      throw error;
    }
    this.#added(open);
    return this.#sequence - 1;
  }

  /** The tree and index of the event with sequence number `sequence` (from addFromTemplate). */
  locate(sequence: number): { readonly treeId: string; readonly index: number } | undefined {
    let lo = 0;
    let hi = this.#treeStarts.length - 1;
    if (!Number.isSafeInteger(sequence) || sequence < 0 || sequence >= this.#sequence || hi < 0)
      return undefined;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if ((this.#treeStarts[mid]?.first ?? 0) <= sequence) lo = mid;
      else hi = mid - 1;
    }
    const start = this.#treeStarts[lo];
    return start === undefined ? undefined : { treeId: start.treeId, index: sequence - start.first };
  }

  /** Resolves once every event of the open tree written so far is handed to the store. */
  async stored(): Promise<void> {
    this.#open?.tree.flushChunk();
    await this.#open?.appends;
  }

  /** Seals the open tree now, if it holds events. */
  seal(): void {
    const open = this.#open;
    if (open === undefined || open.tree.size === 0) return;
    this.#open = undefined;
    const work = this.#sealTree(open).catch((error: unknown) => this.#fail(error));
    this.#sealing.add(work);
    void work.finally(() => this.#sealing.delete(work));
  }

  /** Seals the open tree and resolves once every sealed tree's root event is durable. */
  async flush(): Promise<void> {
    this.seal();
    while (this.#sealing.size > 0) await Promise.all([...this.#sealing]);
    this.#throwFailure();
  }

  /** flush(), then resolves once every sealed tree is anchored and its root receipt stored. */
  async anchored(): Promise<void> {
    await this.flush();
    while (this.#anchoring.size > 0) await Promise.all([...this.#anchoring]);
    this.#throwFailure();
  }

  /**
   * Submits again the root events of the stored trees that have no root receipt (a client stopped
   * before they were anchored), and follows them to anchoring. Returns how many.
   */
  async resume(): Promise<number> {
    const trees = (await this.#ports.store.listTrees()).filter((t) => !t.anchored);
    for (const { treeId } of trees) {
      const stored = await this.#ports.store.readTree(treeId);
      const event = eventV1.DataEvent.decode(stored.rootEvent);
      const work = this.#makeDurable(treeId, event, stored.root, stored.leafCount, false).catch(
        (error: unknown) => this.#fail(error),
      );
      this.#sealing.add(work);
      void work.finally(() => this.#sealing.delete(work));
    }
    return trees.length;
  }

  /** Stops the interval timer (the client closes after flush). */
  stop(): void {
    clearInterval(this.#timer);
  }

  #ensureOpen(): Open {
    if (this.#open !== undefined) return this.#open;
    const rootEventId = mintUuidV7(this.#ports.now(), this.#ports.entropy.bytes(16));
    const treeId = formatUuid(rootEventId);
    const open: Open = {
      treeId,
      openedAt: this.#ports.now(),
      rootEventId,
      appends: Promise.resolve(),
      tree: new OpenTree(this.#ports.hasher, (chunk) => {
        open.appends = open.appends.then(() => this.#ports.store.appendEvents(treeId, chunk));
      }),
    };
    this.#open = open;
    this.#treeStarts.push({ first: this.#sequence, treeId });
    return open;
  }

  #added(open: Open): void {
    this.#pending++;
    this.#sequence++;
    if (open.tree.size >= this.#s.maxLeaves) {
      this.seal();
      return;
    }
    // A caller emitting in a tight loop never lets the interval timer run: every 1,024 events the
    // tree's age is checked here too, so trees are sealed per interval whatever the event loop does.
    if ((this.#sequence & 1023) === 0 && this.#ports.now() - open.openedAt >= this.#s.intervalMs) this.seal();
  }

  async #sealTree(open: Open): Promise<void> {
    const sealed = await this.#store(open);
    await this.#makeDurable(open.treeId, sealed.event, sealed.root, sealed.leafCount, true);
  }

  /** Closes the tree, computes its root and root event, and stores its index durably. */
  async #store(open: Open): Promise<{ event: eventV1.DataEvent; root: Uint8Array; leafCount: number }> {
    const leaves = open.tree.close();
    const root = merkleRootOfLeafHashes(this.#ports.hasher, leaves.leafHashes, leaves.count);
    const event = eventToProto({
      eventId: open.rootEventId,
      ...rootEventFields({ root, leafCount: leaves.count }),
      inputs: [],
      outputs: [],
      toTenant: '',
      actor: this.#s.actor,
      source: { system: '', region: '', host: '' },
      destination: { system: '', region: '', host: '' },
      occurredAt: this.#ports.now() * 1000,
      parents: [],
      nonce: new Uint8Array(16),
    });
    await open.appends;
    await this.#ports.store.sealTree({
      treeId: open.treeId,
      leafCount: leaves.count,
      root,
      leafHashes: leaves.leafHashes,
      eventLengths: leaves.eventLengths,
      rootEvent: eventV1.DataEvent.encode(event).finish(),
    });
    return { event, root, leafCount: leaves.count };
  }

  /** Submits the root event until durable, then follows it to anchoring. */
  async #makeDurable(
    treeId: string,
    event: eventV1.DataEvent,
    root: Uint8Array,
    leafCount: number,
    counted: boolean,
  ): Promise<void> {
    await this.#ports.submitRoot(event);
    if (counted) {
      this.#pending -= leafCount;
      while (this.hasRoom && this.#roomWaiters.length > 0) this.#roomWaiters.shift()?.();
    }
    const work = this.#anchor(treeId, new Uint8Array(event.eventId), root, leafCount).catch(
      (error: unknown) => this.#fail(error),
    );
    this.#anchoring.add(work);
    void work.finally(() => this.#anchoring.delete(work));
  }

  /** Waits for the root event's receipt, checks it is this tree's, stores it. */
  async #anchor(treeId: string, rootEventId: Uint8Array, root: Uint8Array, leafCount: number): Promise<void> {
    const receipt = await this.#ports.rootReceiptOf(rootEventId);
    const bound = (() => {
      try {
        return readRootEvent(receipt.event);
      } catch (error: unknown) {
        throw new MsiClientError('RECEIPT_INVALID', `tree ${treeId}: ${String(error)}`, '', { cause: error });
      }
    })();
    if (
      !bytesEqual(receipt.event.eventId, rootEventId) ||
      !bytesEqual(bound.root, root) ||
      bound.leafCount !== leafCount
    ) {
      throw new MsiClientError(
        'RECEIPT_INVALID',
        `tree ${treeId}: the receipt is not of this tree's root event`,
      );
    }
    await this.#ports.store.putRootReceipt(treeId, receipt.json);
    this.#ports.onAnchored({ treeId, leafCount, round: receipt.round });
  }

  #fail(error: unknown): void {
    this.#failure ??=
      error instanceof MsiClientError
        ? error
        : new MsiClientError('STORE_FAILED', `aggregation failed: ${String(error)}`, '', { cause: error });
  }

  #throwFailure(): void {
    if (this.#failure !== undefined) throw this.#failure;
  }
}
