import { status } from '@grpc/grpc-js';
import type { Receipt } from '@msi/core';
import type { receiptV1, verifierV1 } from '@msi/proto';
import { joinReceiptParts, receiptFromProto, WireError } from '@msi/wire';
import { MsiClientError } from './client-error.js';
import { callFailureOf } from './ingest-transport.js';
import { type RetryPolicy, retryDelayMs } from './retry-policy.js';
import type { ReceiptStream, VerifierTransport } from './verifier-transport.js';

/** At most this many ids in one WatchReceipts request (the verifier's limit). */
const MAX_IDS_PER_STREAM = 10_000;

interface Watched {
  readonly id: Uint8Array;
  readonly resolve: (receipt: Receipt) => void;
  readonly reject: (error: MsiClientError) => void;
  attempts: number;
}

/**
 * Receives the receipts of durable events through WatchReceipts, never asking id by id: ids asked
 * for within `coalesceMs` go out in one stream (up to 10,000), which the verifier ends once it has
 * delivered each. A stream that fails is opened again for the ids it did not deliver, after a
 * backoff; credentials the verifier refuses fail them (UNAUTHENTICATED, PERMISSION_DENIED).
 */
export class ReceiptWatcher {
  readonly #transport: VerifierTransport;
  readonly #coalesceMs: number;
  readonly #retry: RetryPolicy;
  readonly #random: () => number;
  readonly #watched = new Map<string, Watched>();
  #next: Watched[] = [];
  #timer: NodeJS.Timeout | undefined;
  readonly #streams = new Set<ReceiptStream>();
  #closed = false;

  constructor(
    transport: VerifierTransport,
    options: { coalesceMs: number; retry: RetryPolicy; random: () => number },
  ) {
    this.#transport = transport;
    this.#coalesceMs = options.coalesceMs;
    this.#retry = options.retry;
    this.#random = options.random;
  }

  /** Ids asked for and not delivered yet. */
  get pending(): number {
    return this.#watched.size;
  }

  /** The receipt of a durable event, once its round is anchored (as the verifier serves it, not yet verified). */
  receiptOf(eventId: Uint8Array): Promise<Receipt> {
    if (this.#closed) return Promise.reject(new MsiClientError('CLOSED', 'the client is closed'));
    const key = hex(eventId);
    return new Promise<Receipt>((resolve, reject) => {
      const known = this.#watched.get(key);
      if (known !== undefined) {
        // a second caller of the same id shares the first one's stream
        this.#watched.set(key, {
          ...known,
          resolve: (r) => {
            known.resolve(r);
            resolve(r);
          },
          reject: (e) => {
            known.reject(e);
            reject(e);
          },
        });
        return;
      }
      const watched: Watched = { id: eventId.slice(), resolve, reject, attempts: 0 };
      this.#watched.set(key, watched);
      this.#enqueue([watched], 0);
    });
  }

  /** Stops every stream; receipts not delivered fail with CLOSED. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    for (const stream of this.#streams) stream.cancel();
    for (const watched of this.#watched.values()) {
      watched.reject(new MsiClientError('CLOSED', 'the client closed before the receipt arrived'));
    }
    this.#watched.clear();
  }

  #enqueue(items: Watched[], delayMs: number): void {
    const add = () => {
      if (this.#closed) return;
      this.#next.push(...items.filter((w) => this.#watched.get(hex(w.id)) !== undefined));
      if (this.#next.length >= MAX_IDS_PER_STREAM) this.#open();
      else this.#timer ??= setTimeout(() => this.#open(), this.#coalesceMs);
    };
    if (delayMs === 0) add();
    else setTimeout(add, delayMs);
  }

  #open(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#next.length > 0) {
      const batch = this.#next.splice(0, MAX_IDS_PER_STREAM);
      const stream = this.#transport.watchReceipts(
        batch.map((w) => w.id),
        (message) => {
          for (const [i, { eventId, receipt, anchor }] of message.receipts.entries()) {
            const key = hex(eventId);
            const watched = this.#watched.get(key);
            if (watched === undefined || receipt === undefined) continue;
            this.#watched.delete(key);
            try {
              watched.resolve(receiptFromProto(wholeReceipt(message, i, receipt, anchor)));
            } catch (error: unknown) {
              watched.reject(
                new MsiClientError(
                  'RECEIPT_INVALID',
                  `the verifier sent a malformed receipt: ${error instanceof WireError ? `${error.field}: ${error.message}` : String(error)}`,
                  error instanceof WireError ? error.field : '',
                  { cause: error },
                ),
              );
            }
          }
        },
      );
      this.#streams.add(stream);
      stream.done.then(
        () => this.#ended(stream, batch, undefined),
        (error: unknown) => this.#ended(stream, batch, error),
      );
    }
  }

  #ended(stream: ReceiptStream, batch: Watched[], error: unknown): void {
    this.#streams.delete(stream);
    if (this.#closed) return;
    const left = batch.filter((w) => this.#watched.get(hex(w.id)) === w);
    if (left.length === 0) return;
    const failure = error === undefined ? undefined : callFailureOf(error);
    if (
      failure !== undefined &&
      (failure.code === status.UNAUTHENTICATED ||
        failure.code === status.PERMISSION_DENIED ||
        failure.code === status.INVALID_ARGUMENT)
    ) {
      const code =
        failure.code === status.UNAUTHENTICATED
          ? 'UNAUTHENTICATED'
          : failure.code === status.PERMISSION_DENIED
            ? 'PERMISSION_DENIED'
            : 'UNAVAILABLE';
      for (const w of left) {
        this.#watched.delete(hex(w.id));
        w.reject(new MsiClientError(code, `the verifier refused WatchReceipts: ${failure.details}`));
      }
      return;
    }
    for (const w of left) w.attempts++;
    const attempts = Math.max(...left.map((w) => w.attempts));
    this.#enqueue(left, retryDelayMs(this.#retry, attempts, this.#random()));
  }
}

/**
 * The whole receipt of `message.receipts[index]`: as sent, or, when the message shares its anchors
 * (WatchReceipts' `shared_anchors`), joined with its anchor. Throws WireError naming the field.
 */
function wholeReceipt(
  message: verifierV1.WatchReceiptsResponse,
  index: number,
  receipt: receiptV1.Receipt,
  anchor: number,
): receiptV1.Receipt {
  if (message.anchors.length === 0) return receipt;
  const shared = message.anchors[anchor];
  if (shared === undefined) {
    throw new WireError(
      'INVALID_ARGUMENT',
      `receipts[${index}].anchor`,
      `anchor ${anchor} of a message with ${message.anchors.length}`,
    );
  }
  return joinReceiptParts(shared, receipt, `receipts[${index}].receipt`);
}

const hex = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
