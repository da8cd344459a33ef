import type { DataEvent } from '@msi/core';
import type { JetStreamManager } from '@nats-io/jetstream';
import { decodeBatch } from './event-intake.js';

/**
 * How many bytes of staged batches are kept in memory for their round (beyond, they are re-read).
 * Bytes, not decoded events: a lagging alerter held 250,000 decoded events (~1 GiB of small objects
 * that every old-generation GC marked, a third of its CPU under a storm); the encoded batches of as
 * many events take about 80 MiB, off the JavaScript heap, and decoding one again when its round is
 * anchored costs a few microseconds per event.
 */
export const MAX_CACHED_BYTES = 96 * 1024 * 1024;

/**
 * The events of staged batches, by events-stream sequence: the batch's bytes are kept in memory
 * until its round is anchored, and decoded then; after a restart (or beyond the memory bound) a batch
 * is read back from JetStream by sequence — the stream, not Postgres, holds the events' bytes.
 */
export class StagedEvents {
  readonly #cache = new Map<number, Uint8Array>();
  #cachedBytes = 0;

  readonly #jsm: JetStreamManager;
  readonly #stream: string;
  readonly #maxBytes: number;

  constructor(jsm: JetStreamManager, stream: string, maxBytes = MAX_CACHED_BYTES) {
    this.#jsm = jsm;
    this.#stream = stream;
    this.#maxBytes = maxBytes;
  }

  /** Remembers the bytes of batch `seq` (a copy: the message's buffer may be a view of a larger one). */
  remember(seq: number, data: Uint8Array): void {
    if (this.#cache.has(seq)) return;
    this.#cache.set(seq, Uint8Array.prototype.slice.call(data));
    this.#cachedBytes += data.byteLength;
    for (const [oldest, old] of this.#cache) {
      if (this.#cachedBytes <= this.#maxBytes) break;
      this.#cache.delete(oldest);
      this.#cachedBytes -= old.byteLength;
    }
  }

  /** Bytes held in memory now. */
  get cachedBytes(): number {
    return this.#cachedBytes;
  }

  /** The events of batch `seq`, from memory or from the stream (throws when the stream lost it). */
  async events(seq: number): Promise<DataEvent[]> {
    const cached = this.#cache.get(seq);
    if (cached !== undefined) return decodeBatch(cached);
    const stored = await this.#jsm.streams.getMessage(this.#stream, { seq });
    if (stored === null) throw new Error(`events stream message ${seq} is gone`);
    return decodeBatch(stored.data);
  }

  /** Forgets batches once their round is applied. */
  forget(seqs: readonly number[]): void {
    for (const seq of seqs) {
      const data = this.#cache.get(seq);
      if (data === undefined) continue;
      this.#cache.delete(seq);
      this.#cachedBytes -= data.byteLength;
    }
  }
}
