import {
  type AggregateTemplateFields,
  checkReceiptProofs,
  type DataEvent,
  formatUuid,
  parseVerifierKey,
  type Receipt,
  ReceiptError,
  ReceiptVerifier,
  receiptToJson,
  writeUuidV7,
} from '@msi/core';
import { nodeEd25519, nodeHasher } from '@msi/crypto-node';
import { createWasmHasherSync, type WasmMerkleHasher } from '@msi/hash-wasm';
import { AggregateWriter } from './aggregate-writer.js';
import { type AggregatedTicket, Aggregator, type VerifiedRootReceipt } from './aggregator.js';
import { channelOf } from './channel.js';
import { MsiClientError } from './client-error.js';
import { type ClientOptions, type ResolvedOptions, resolveOptions } from './client-options.js';
import { EntropyPool } from './entropy-pool.js';
import type { EventInput } from './event-input.js';
import { eventToProto } from './event-to-proto.js';
import { FileReceiptStore } from './file-receipt-store.js';
import { grpcIngestTransport, type IngestTransport } from './ingest-transport.js';
import { normalizeEvent } from './normalize-event.js';
import type { ReceiptStore } from './receipt-store.js';
import { ReceiptWatcher } from './receipt-watcher.js';
import { type DurableAck, SubmitQueue } from './submit-queue.js';
import { TreeBundle } from './tree-bundle.js';
import { grpcVerifierTransport, type VerifierTransport } from './verifier-transport.js';

/** How an event is emitted: alone (the server sees, indexes and alerts on it) or in a local tree. */
export type EmitMode = 'individual' | 'aggregated';

/** The outcome of emitting an individual event: it is durable. */
export interface EmittedIndividual extends DurableAck {
  readonly mode: 'individual';
}

/** The outcome of emitting an aggregated event: it is in an open local tree (durable with its root). */
export interface EmittedAggregated extends AggregatedTicket {
  readonly mode: 'aggregated';
}

export type Emitted = EmittedIndividual | EmittedAggregated;

/** The shared fields of an aggregate template (AggregateWriter): all but data digest, id, time, nonce. */
export type TemplateInput = Omit<
  AggregateTemplateFields,
  'parents' | 'attributes' | 'inputs' | 'outputs' | 'toTenant' | 'source' | 'destination'
> &
  Partial<
    Pick<
      AggregateTemplateFields,
      'parents' | 'attributes' | 'inputs' | 'outputs' | 'toTenant' | 'source' | 'destination'
    >
  >;

/** The servers behind a client: gRPC in production; tests may give their own. */
export interface ClientTransports {
  readonly ingest: IngestTransport;
  readonly verifier?: VerifierTransport;
}

/**
 * Creates the one client of a process (see README.md): connects lazily to ingest (and the verifier),
 * emits events individually or aggregated, and receives their receipts as rounds anchor. Throws
 * MsiClientError INVALID_OPTIONS.
 */
export function createClient(options: ClientOptions, transports?: ClientTransports): MsiClient {
  return new MsiClient(resolveOptions(options), transports);
}

/** The MSI client. Create it with createClient; close() it before the process ends. */
export class MsiClient {
  readonly #o: ResolvedOptions;
  readonly #ingest: IngestTransport;
  readonly #verifierTransport: VerifierTransport | undefined;
  readonly #queue: SubmitQueue;
  readonly #entropy: EntropyPool;
  readonly #watcher: ReceiptWatcher | undefined;
  readonly #store: ReceiptStore | undefined;
  readonly #aggregator: Aggregator | undefined;
  readonly #wasm: WasmMerkleHasher;
  readonly #verifier: ReceiptVerifier | undefined;
  readonly #hasher = nodeHasher();
  readonly #receipts = new Set<Promise<void>>();
  #receiptFailure: MsiClientError | undefined;
  #closed = false;

  /** @internal use createClient */
  constructor(options: ResolvedOptions, transports?: ClientTransports) {
    this.#o = options;
    if (transports === undefined) {
      const { credentials, options: channel } = channelOf(options.insecure, options.tls);
      this.#ingest = grpcIngestTransport(options.ingest, credentials, channel, options.apiKey);
      this.#verifierTransport =
        options.verifier === undefined
          ? undefined
          : grpcVerifierTransport(options.verifier, credentials, channel, options.verifierApiKey);
    } else {
      this.#ingest = transports.ingest;
      this.#verifierTransport = transports.verifier;
    }
    this.#entropy = new EntropyPool(options.randomFill);
    const random = () => {
      const { bytes, at } = this.#entropy.take(4);
      return new DataView(bytes.buffer, at, 4).getUint32(0) / 2 ** 32;
    };
    this.#queue = new SubmitQueue(this.#ingest, {
      lingerMs: options.lingerMs,
      maxBatchEvents: options.maxBatchEvents,
      maxInFlight: options.maxInFlight,
      maxQueued: options.maxQueuedEvents,
      whenFull: options.whenFull,
      deadlineMs: options.deadlineMs,
      retry: options.retry,
      now: options.now,
      random,
    });
    this.#watcher =
      this.#verifierTransport === undefined
        ? undefined
        : new ReceiptWatcher(this.#verifierTransport, {
            coalesceMs: options.coalesceMs,
            retry: options.retry,
            random,
          });
    this.#verifier =
      options.logKeys.length === 0
        ? undefined
        : new ReceiptVerifier(
            {
              logKeys: options.logKeys.map((k) => parseVerifierKey(k)),
              witnessKeys: options.witnessKeys.map((k) => parseVerifierKey(k)),
              quorum: options.quorum,
            },
            { hasher: nodeHasher(), ed25519: nodeEd25519() },
          );
    this.#wasm = createWasmHasherSync();
    this.#store =
      options.receiptStore ??
      (options.aggregation !== undefined || options.individualReceipts
        ? new FileReceiptStore(options.receiptDir)
        : undefined);
    this.#aggregator =
      options.aggregation === undefined || this.#store === undefined
        ? undefined
        : new Aggregator(options.aggregation, {
            hasher: this.#wasm,
            store: this.#store,
            entropy: this.#entropy,
            now: options.now,
            submitRoot: (event) => this.#queue.submit(event, true),
            rootReceiptOf: (id) => this.#rootReceiptOf(id),
            onAnchored: (tree) => options.onTreeAnchored?.(tree),
          });
  }

  /**
   * Emits one event. Individual (default): resolves once ingest made it durable, retrying with the
   * same id as needed. Aggregated: resolves once it is in the open local tree; it becomes durable
   * with the tree's root event (flush()). Throws MsiClientError: INVALID_EVENT (naming the field),
   * CLOSED, QUEUE_FULL (when full and `queue.whenFull` is reject), NOT_AGGREGATED, and for individual
   * events UNAUTHENTICATED, PERMISSION_DENIED, TIMEOUT.
   */
  async emit(input: EventInput, options: { readonly mode?: EmitMode } = {}): Promise<Emitted> {
    if (this.#closed) throw new MsiClientError('CLOSED', 'the client is closed: emit before close()');
    if (options.mode === 'aggregated') return this.#emitAggregated(input);
    const context = { nowMs: this.#o.now(), mintId: () => this.#mintId() };
    const claims = normalizeEvent(input, context);
    const ack = await this.#queue.submit(eventToProto(claims));
    if (this.#o.individualReceipts) this.#follow(ack.eventId);
    return { mode: 'individual', ...ack };
  }

  async #emitAggregated(input: EventInput): Promise<EmittedAggregated> {
    const aggregator = this.#requireAggregator();
    while (!aggregator.hasRoom) {
      if (this.#o.whenFull === 'reject') {
        throw new MsiClientError(
          'QUEUE_FULL',
          `${aggregator.pending} aggregated events wait for a durable root event (aggregation.maxPendingEvents); emit later or let emit wait (queue.whenFull: 'wait')`,
        );
      }
      await aggregator.room();
      if (this.#closed) throw new MsiClientError('CLOSED', 'the client closed while emit waited for room');
    }
    const context = { nowMs: this.#o.now(), mintId: () => this.#mintId() };
    const { bytes, at } = this.#entropy.take(16);
    // the nonce is a view of the pool: the writer copies it into the event's bytes at once
    const claims = normalizeEvent(input, context, bytes.subarray(at, at + 16), false);
    return { mode: 'aggregated', ...aggregator.add(claims) };
  }

  /**
   * A writer for the fast path of aggregation: events that share every field but their data digest,
   * id, time and nonce (see AggregateWriter). Throws INVALID_EVENT for fields that break a rule.
   */
  aggregateTemplate(fields: TemplateInput): AggregateWriter {
    const aggregator = this.#requireAggregator();
    const empty = { system: '', region: '', host: '' };
    try {
      return new AggregateWriter(
        aggregator,
        {
          inputs: [],
          outputs: [],
          toTenant: '',
          parents: [],
          attributes: [],
          ...fields,
          source: { ...empty, ...fields.source },
          destination: { ...empty, ...fields.destination },
        },
        this.#o.now,
        () => this.#closed,
      );
    } catch (error: unknown) {
      if (error instanceof Error && 'field' in error && 'code' in error) {
        throw new MsiClientError('INVALID_EVENT', error.message, String(error.field), { cause: error });
      }
      throw error;
    }
  }

  /**
   * Resolves once everything emitted so far is durable: individual events acked, and the open local
   * tree sealed, stored and its root event acked. Rejects with the first failure of aggregation.
   */
  async flush(): Promise<void> {
    await Promise.all([this.#aggregator?.flush(), this.#queue.drained()]);
  }

  /**
   * Resolves once the bytes of every aggregated event emitted so far are in the receipt store (its
   * writes done), without sealing the open tree: what the client then holds in memory per event is
   * its leaf hash and length. A caller emitting faster than the store writes can pace itself on it.
   */
  async stored(): Promise<void> {
    await this.#aggregator?.stored();
  }

  /**
   * flush(), then resolves once every local tree is anchored (its root receipt verified and stored)
   * and every awaited individual receipt delivered.
   */
  async anchored(): Promise<void> {
    await this.flush();
    await this.#aggregator?.anchored();
    while (this.#receipts.size > 0) await Promise.all([...this.#receipts]);
    if (this.#receiptFailure !== undefined) throw this.#receiptFailure;
  }

  /**
   * Follows the local trees of the store that were sealed but not anchored (a client stopped before),
   * submitting their root events again (same ids: deduplicated). Returns how many.
   */
  resumeTrees(): Promise<number> {
    return this.#requireAggregator().resume();
  }

  /** The store's local trees, oldest first, with whether each is anchored. */
  async trees(): Promise<{ readonly treeId: string; readonly anchored: boolean }[]> {
    return this.#requireStore().listTrees();
  }

  /** A stored local tree with what proves its events: receipts v2 are made from it on request. */
  async bundle(treeId: string): Promise<TreeBundle> {
    return TreeBundle.open(await this.#requireStore().readTree(treeId), this.#wasm);
  }

  /**
   * Stops accepting events (emit rejects with CLOSED), sends everything queued and makes it durable
   * (flush), optionally waits for every receipt (`waitForReceipts`), then releases the connections.
   * Trees not anchored by then are followed by resumeTrees() in a later client.
   */
  async close(options: { readonly waitForReceipts?: boolean } = {}): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.close();
    try {
      if (options.waitForReceipts === true) await this.anchored();
      else await this.flush();
    } finally {
      this.#aggregator?.stop();
      this.#watcher?.close();
      this.#ingest.close();
      this.#verifierTransport?.close();
      await this.#store?.close();
    }
  }

  #requireAggregator(): Aggregator {
    if (this.#aggregator === undefined) {
      throw new MsiClientError(
        'NOT_AGGREGATED',
        'aggregation is not configured: give the aggregation option',
      );
    }
    return this.#aggregator;
  }

  #requireStore(): ReceiptStore {
    if (this.#store === undefined) {
      throw new MsiClientError('NOT_AGGREGATED', 'no receipt store: give the aggregation or receipts option');
    }
    return this.#store;
  }

  #mintId(): Uint8Array {
    const id = new Uint8Array(16);
    const { bytes, at } = this.#entropy.take(16);
    writeUuidV7(id, 0, this.#o.now(), bytes, at);
    return id;
  }

  /** Receives, verifies and stores an individual event's receipt (onReceipt too). */
  #follow(eventId: Uint8Array): void {
    const watcher = this.#watcher;
    const store = this.#store;
    if (watcher === undefined) return;
    const work = watcher
      .receiptOf(eventId)
      .then(async (receipt) => {
        const checked = this.#check(receipt);
        const id = formatUuid(eventId);
        await store?.putReceipt(id, checked.json);
        this.#o.onReceipt?.({ eventId: id, json: checked.json, round: checked.round });
      })
      .catch((error: unknown) => {
        if (error instanceof MsiClientError && error.code === 'CLOSED') return;
        this.#receiptFailure ??=
          error instanceof MsiClientError
            ? error
            : new MsiClientError('STORE_FAILED', String(error), '', { cause: error });
      });
    this.#receipts.add(work);
    void work.finally(() => this.#receipts.delete(work));
  }

  async #rootReceiptOf(eventId: Uint8Array): Promise<VerifiedRootReceipt> {
    if (this.#watcher === undefined) throw new MsiClientError('INVALID_OPTIONS', 'no verifier', 'verifier');
    return this.#check(await this.#watcher.receiptOf(eventId));
  }

  /** A delivered receipt verified offline: with the trusted keys when given, else every proof. */
  #check(receipt: Receipt): VerifiedRootReceipt {
    const json = receiptToJson(receipt);
    try {
      let event: DataEvent;
      let round: number;
      if (this.#verifier !== undefined) {
        const verified = this.#verifier.verify(json);
        if (verified.version !== 1) throw new ReceiptError('UNSUPPORTED_VERSION', 'not a receipt v1');
        event = verified.event;
        round = verified.round.round;
      } else {
        const checked = checkReceiptProofs(receipt, this.#hasher);
        event = checked.event;
        round = checked.round.round;
      }
      return { json, event, round };
    } catch (error: unknown) {
      if (error instanceof ReceiptError) {
        throw new MsiClientError('RECEIPT_INVALID', `${error.code}: ${error.message}`, '', { cause: error });
      }
      throw error;
    }
  }
}
