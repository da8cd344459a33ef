import { decodeEvent } from '@msi/core';
import { streamV1 } from '@msi/proto';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';

/** Where to look for an event: the batch its claim names, and the time window it can be in. */
export interface LocateQuery {
  readonly subject: string;
  readonly batchId: string;
  /** The event id to find. */
  readonly eventId: Uint8Array;
  /** No message carrying it can be older than this (ms: when its ClaimBatch was stored). */
  readonly fromMs: number;
  /** No message carrying it can be newer than this (ms, ingest's clock): the end of its claim. */
  readonly untilMs: number;
}

export interface BatchLocatorOptions {
  readonly stream: string;
  /** Allowed difference between ingest's and the NATS server's clocks, ms. */
  readonly clockSlackMs: number;
  /** A scan that takes longer than this fails (the caller answers "retry"). */
  readonly timeoutMs: number;
}

/**
 * Finds an event in the events stream under a given batch id (Nats-Msg-Id), by scanning the
 * shard's subject from when its claim was stored, headers only, and reading in full only the
 * messages with that id. Used for resubmissions, never on the hot path; concurrent queries for the
 * same (subject, batch id) share one scan.
 */
export class BatchLocator {
  readonly #scans = new Map<string, Promise<Buffer[]>>();

  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #options: BatchLocatorOptions;

  constructor(js: JetStreamClient, jsm: JetStreamManager, options: BatchLocatorOptions) {
    this.#js = js;
    this.#jsm = jsm;
    this.#options = options;
  }

  /**
   * The canonical bytes of the event with id `eventId` in a stored message with msgID `batchId`, or
   * undefined when there is none. Throws when unsure.
   */
  async find(query: LocateQuery): Promise<Uint8Array | undefined> {
    const key = `${query.subject}\u0000${query.batchId}`;
    let scan = this.#scans.get(key);
    if (scan === undefined) {
      scan = this.#scan(query).finally(() => this.#scans.delete(key));
      this.#scans.set(key, scan);
    }
    const carried = await scan;
    const wanted = Buffer.from(query.eventId.buffer, query.eventId.byteOffset, query.eventId.byteLength);
    return carried.find((event) => event.includes(wanted) && wanted.equals(decodeEvent(event).eventId));
  }

  /** The events of every message with msgID `batchId` in the window. */
  async #scan(query: LocateQuery): Promise<Buffer[]> {
    const { stream, clockSlackMs, timeoutMs } = this.#options;
    const last = await this.#jsm.streams.getMessage(stream, { last_by_subj: query.subject });
    if (last === null || last.time.getTime() < query.fromMs - clockSlackMs) return [];
    const consumer = await this.#js.consumers.get(stream, {
      filter_subjects: query.subject,
      opt_start_time: new Date(query.fromMs - clockSlackMs).toISOString(),
      headers_only: true,
      inactive_threshold: 10_000,
    });
    const messages = await consumer.consume({ max_messages: 512 });
    const timer = setTimeout(() => void messages.close(), timeoutMs);
    const found: Buffer[] = [];
    let complete = false;
    try {
      for await (const message of messages) {
        if (message.headers?.get('Nats-Msg-Id') === query.batchId) {
          const stored = await this.#jsm.streams.getMessage(stream, { seq: message.seq });
          if (stored !== null) found.push(...streamV1.EventBatch.decode(stored.data).events);
        }
        const atMs = message.info.timestampNanos / 1e6;
        if (message.seq >= last.seq || atMs > query.untilMs + clockSlackMs) {
          complete = true;
          break;
        }
      }
    } finally {
      clearTimeout(timer);
      await messages.close().catch(() => undefined);
      await consumer.delete().catch(() => false);
    }
    if (!complete)
      throw new Error(
        `scan of ${query.subject} for batch ${query.batchId} did not finish in ${timeoutMs} ms`,
      );
    return found;
  }
}
