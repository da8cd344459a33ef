import { type ServerWritableStream, status } from '@grpc/grpc-js';
import { formatUuid, type Receipt } from '@msi/core';
import type { MerkleHasher } from '@msi/merkle';
import type { Pool } from '@msi/postgres';
import { type receiptV1, verifierV1 } from '@msi/proto';
import type { Logger } from '@msi/service-kit';
import { receiptAnchorToProto, receiptEventToProto, receiptToProto } from '@msi/wire';
import { AnchoredFrontier } from './anchored-frontier.js';
import type { ApiKeys, Identity } from './credentials.js';
import type { Failure } from './integrity.js';
import { type ReceiptCache, receiptOf } from './receipt-store.js';
import { type AnchoredEventRow, type AnchoredPaging, anchoredEventPages } from './round-receipts.js';
import { toStatus, VerifierError } from './verifier-error.js';

/** At most this many event ids in one WatchReceipts request. */
export const MAX_WATCHED_IDS = 10_000;
/** Receipts per message (a receipt is a few KB; a message stays well under 4 MiB). */
const RECEIPTS_PER_MESSAGE = 256;
/** Without `event_ids`, a message with no receipt tells the caller how far it is after this quiet time. */
const PROGRESS_MS = 5000;
const MAX_ROUND = Number.MAX_SAFE_INTEGER;

export interface WatchReceiptsDeps {
  readonly pool: Pool;
  readonly hasher: MerkleHasher;
  readonly keys: ApiKeys;
  /** The receipt cache GetReceipt uses (anchors, seal trees, rounds, calendar proofs, checkpoint). */
  readonly cache: ReceiptCache;
  /** Reports an integrity failure found while serving (a tampered projection row). */
  readonly report: (failure: Failure) => void;
  readonly log: Logger;
  /** How often the anchored frontier is read while streams wait (default 200 ms). */
  readonly pollMs?: number;
  /** Rows and seals per query of a round range (anchoredEventPages' defaults). */
  readonly paging?: AnchoredPaging;
}

type Call = ServerWritableStream<verifierV1.WatchReceiptsRequest, verifierV1.WatchReceiptsResponse>;

/**
 * The WatchReceipts handler (proto/msi/verifier/v1/verifier.proto). One frontier poller serves every
 * stream of the process. Each stream reads its receipts per range of newly anchored rounds in pages
 * of rows, each query reading about the rows it returns (anchoredEventPages), assembles each receipt
 * from the shared cache and checks it before it is sent (receiptOf), respects the caller's flow
 * control, and stops when the call is cancelled.
 */
export function watchReceiptsHandler(deps: WatchReceiptsDeps): (call: Call) => void {
  const frontier = new AnchoredFrontier(
    async () => (await deps.cache.latestCheckpoint(deps.pool))?.size ?? 0,
    {
      intervalMs: deps.pollMs ?? 200,
      onError: (error) => deps.log.warn('reading the anchored frontier failed', { error: String(error) }),
    },
  );
  return (call) => {
    const stop = new AbortController();
    call.on('cancelled', () => stop.abort());
    // The constructor checks the caller and the request: its errors end the call too.
    Promise.resolve()
      .then(() => new ReceiptStream(deps, frontier, call, stop.signal).run())
      .then(
        () => {
          if (!stop.signal.aborted) call.end();
        },
        (error: unknown) => {
          if (stop.signal.aborted) return;
          const mapped = toStatus(error);
          if (mapped.code === status.INTERNAL)
            deps.log.error('WatchReceipts failed', { error: String(error) });
          call.emit('error', mapped);
        },
      );
  };
}

/** One WatchReceipts stream. */
class ReceiptStream {
  readonly #identity: Identity;
  /** The ids still to deliver (hex → id), or undefined for every event of the tenant. */
  readonly #pending: Map<string, Uint8Array> | undefined;
  /** Whether receipts share their anchors (the request's `shared_anchors`). */
  readonly #shared: boolean;
  #next: number;
  #lastMessageAt = Date.now();

  readonly #deps: WatchReceiptsDeps;
  readonly #frontier: AnchoredFrontier;
  readonly #call: Call;
  readonly #signal: AbortSignal;

  constructor(deps: WatchReceiptsDeps, frontier: AnchoredFrontier, call: Call, signal: AbortSignal) {
    this.#deps = deps;
    this.#frontier = frontier;
    this.#call = call;
    this.#signal = signal;
    this.#identity = authenticate(deps.keys, call);
    this.#pending = watchedIds(call.request.eventIds);
    this.#shared = call.request.sharedAnchors;
    const from = Number(call.request.fromRound);
    if (!Number.isSafeInteger(from) || from > MAX_ROUND) {
      throw new VerifierError('INVALID_ARGUMENT', 'from_round must be at most 2^53 - 1');
    }
    this.#next = from;
  }

  async run(): Promise<void> {
    let anchored: number | undefined = await this.#frontier.current();
    while (anchored !== undefined && !this.#signal.aborted) {
      if (anchored > this.#next) {
        const sent = await this.#deliver(this.#next, anchored);
        this.#next = anchored;
        if (!sent && this.#pending === undefined && Date.now() - this.#lastMessageAt >= PROGRESS_MS) {
          await this.#send({
            round: BigInt(anchored - 1),
            receipts: [],
            nextRound: BigInt(anchored),
            anchors: [],
          });
        }
      }
      if (this.#pending !== undefined && this.#pending.size === 0) return;
      anchored = await this.#frontier.waitAbove(this.#next, this.#signal);
    }
  }

  /** Sends every receipt of rounds [from, to); true when at least one message went out. */
  async #deliver(from: number, to: number): Promise<boolean> {
    let message = new OutgoingMessage(this.#shared);
    let batchRound = from;
    let sent = false;
    const flush = async (nextRound: number) => {
      if (message.receipts.length === 0) return;
      await this.#send({
        round: BigInt(batchRound),
        receipts: message.receipts,
        nextRound: BigInt(nextRound),
        anchors: message.anchors,
      });
      message = new OutgoingMessage(this.#shared);
      sent = true;
    };
    const ids = this.#pending === undefined ? undefined : [...this.#pending.values()];
    if (ids !== undefined && ids.length === 0) return false;
    const pages = anchoredEventPages(
      this.#deps.pool,
      { from, to },
      this.#identity.tenant,
      ids,
      this.#deps.paging,
    );
    for await (const rows of pages) {
      for (const row of rows) {
        if (this.#signal.aborted) return sent;
        if (!this.#take(row)) continue;
        if (row.k !== batchRound) await flush(row.k);
        batchRound = row.k;
        message.add(row, await this.#receiptOf(row));
        if (message.receipts.length >= RECEIPTS_PER_MESSAGE) await flush(row.k);
      }
    }
    await flush(to);
    return sent;
  }

  /** Whether to deliver `row` now: every row of the tenant, or a listed id not delivered yet. */
  #take(row: AnchoredEventRow): boolean {
    if (this.#pending === undefined) return true;
    return this.#pending.delete(hex(row.eventId));
  }

  async #receiptOf(row: AnchoredEventRow) {
    try {
      return await receiptOf(this.#deps.pool, this.#deps.hasher, row, this.#deps.cache);
    } catch (error: unknown) {
      if (error instanceof VerifierError && error.code === 'TAMPERED') {
        this.#deps.report({
          kind: verifierV1.IntegrityFailureKind.INTEGRITY_FAILURE_KIND_PROJECTION_TAMPERED,
          source: 'projection',
          seq: row.streamSeq,
          shard: 0,
          number: row.position,
          detail: error.message,
        });
        throw new VerifierError('TAMPERED', `event ${formatUuid(row.eventId)}: ${error.message}`);
      }
      throw error;
    }
  }

  async #send(message: verifierV1.WatchReceiptsResponse): Promise<void> {
    this.#lastMessageAt = Date.now();
    if (this.#call.write(message)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.#call.off('drain', done);
        this.#signal.removeEventListener('abort', done);
        resolve();
      };
      this.#call.once('drain', done);
      this.#signal.addEventListener('abort', done, { once: true });
    });
  }
}

/**
 * The receipts of one message. With shared anchors, each distinct anchor (the receipt's seal against
 * one checkpoint: the same seal record, seal proof, round, round proof and checkpoint text for every
 * event of the seal) is encoded once and each receipt carries its own event and event proof.
 */
class OutgoingMessage {
  readonly receipts: verifierV1.WatchedReceipt[] = [];
  readonly anchors: receiptV1.Receipt[] = [];
  readonly #shared: boolean;
  /** Anchor index by seal sequence and checkpoint text; the last one first (rows come seal by seal). */
  readonly #anchorOf = new Map<string, number>();
  #last: { sealSeq: number; checkpoint: string; index: number } | undefined;

  constructor(shared: boolean) {
    this.#shared = shared;
  }

  add(row: AnchoredEventRow, receipt: Receipt): void {
    const eventId = Buffer.from(row.eventId);
    if (!this.#shared) {
      this.receipts.push({ eventId, receipt: receiptToProto(receipt), anchor: 0 });
      return;
    }
    this.receipts.push({
      eventId,
      receipt: receiptEventToProto(receipt),
      anchor: this.#anchor(row, receipt),
    });
  }

  #anchor(row: AnchoredEventRow, receipt: Receipt): number {
    const sealSeq = row.sealSeq as number;
    const last = this.#last;
    if (last !== undefined && last.sealSeq === sealSeq && last.checkpoint === receipt.checkpoint)
      return last.index;
    const key = `${sealSeq}\n${receipt.checkpoint}`;
    let index = this.#anchorOf.get(key);
    if (index === undefined) {
      index = this.anchors.length;
      this.anchors.push(receiptAnchorToProto(receipt));
      this.#anchorOf.set(key, index);
    }
    this.#last = { sealSeq, checkpoint: receipt.checkpoint, index };
    return index;
  }
}

function authenticate(keys: ApiKeys, call: Call): Identity {
  const identity = keys.authenticate(call.metadata);
  if (identity === undefined) throw new VerifierError('UNAUTHENTICATED', 'a valid API key is required');
  if (!identity.roles.has('auditor'))
    throw new VerifierError('PERMISSION_DENIED', 'the auditor role is required');
  return identity;
}

/** The requested ids (hostile input), checked: each 16 bytes, at most 10,000, no repeats. */
function watchedIds(eventIds: readonly Uint8Array[]): Map<string, Uint8Array> | undefined {
  if (eventIds.length === 0) return undefined;
  if (eventIds.length > MAX_WATCHED_IDS) {
    throw new VerifierError(
      'INVALID_ARGUMENT',
      `event_ids: at most ${MAX_WATCHED_IDS}, got ${eventIds.length}`,
    );
  }
  const ids = new Map<string, Uint8Array>();
  eventIds.forEach((id, i) => {
    if (id.length !== 16) throw new VerifierError('INVALID_ARGUMENT', `event_ids[${i}]: not 16 bytes`);
    const key = hex(id);
    if (ids.has(key)) throw new VerifierError('INVALID_ARGUMENT', `event_ids[${i}]: repeats an earlier id`);
    ids.set(key, new Uint8Array(id));
  });
  return ids;
}

const hex = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
