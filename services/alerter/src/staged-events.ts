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
 * How many events of staged batches are kept as the events decoded on arrival (1,674 bytes of heap
 * each measured for a bench event with two attributes: ~52 MiB; since decoded events share repeated
 * texts and empty lists, 970 bytes for a like event, heap growth over 20,000 kept after full GCs:
 * ~30 MiB), so that an alerter that keeps up — its batches anchored within a few seconds — decodes
 * each event once, not again when its round is anchored. Batches staged while this many are held are
 * kept as bytes (MAX_CACHED_BYTES), so a lagging alerter holds no more decoded events than
 * this.
 */
export const MAX_DECODED_EVENTS = 32_768;

/** A staged batch in memory: its events as decoded on arrival, or its bytes. */
type Held = { readonly events: readonly DataEvent[] } | { readonly bytes: Uint8Array };

/**
 * The events of staged batches, by events-stream sequence: the batch is kept in memory until its
 * round is anchored — decoded while few events are held, else as bytes, decoded then; after a
 * restart (or beyond the memory bounds) a batch is read back from JetStream by sequence — the
 * stream, not Postgres, holds the events' bytes.
 */
export class StagedEvents {
  readonly #cache = new Map<number, Held>();
  #cachedBytes = 0;
  #decodedEvents = 0;

  readonly #jsm: JetStreamManager;
  readonly #stream: string;
  readonly #maxBytes: number;
  readonly #maxDecoded: number;

  constructor(
    jsm: JetStreamManager,
    stream: string,
    maxBytes = MAX_CACHED_BYTES,
    maxDecoded = MAX_DECODED_EVENTS,
  ) {
    this.#jsm = jsm;
    this.#stream = stream;
    this.#maxBytes = maxBytes;
    this.#maxDecoded = maxDecoded;
  }

  /**
   * Remembers batch `seq`: `events`, as decoded from `data`, while fewer than the decoded bound are
   * held, else a copy of `data` (the message's buffer may be a view of a larger one).
   */
  remember(seq: number, data: Uint8Array, events: readonly DataEvent[]): void {
    if (this.#cache.has(seq)) return;
    if (this.#decodedEvents + events.length <= this.#maxDecoded) {
      this.#cache.set(seq, { events });
      this.#decodedEvents += events.length;
      return;
    }
    this.#cache.set(seq, { bytes: Uint8Array.prototype.slice.call(data) });
    this.#cachedBytes += data.byteLength;
    for (const [oldest, old] of this.#cache) {
      if (this.#cachedBytes <= this.#maxBytes) break;
      if (!('bytes' in old)) continue;
      this.#cache.delete(oldest);
      this.#cachedBytes -= old.bytes.byteLength;
    }
  }

  /** Bytes of encoded batches held in memory now. */
  get cachedBytes(): number {
    return this.#cachedBytes;
  }

  /** Decoded events held in memory now. */
  get decodedEvents(): number {
    return this.#decodedEvents;
  }

  /** The events of batch `seq`, from memory or from the stream (throws when the stream lost it). */
  async events(seq: number): Promise<readonly DataEvent[]> {
    const held = this.#cache.get(seq);
    if (held !== undefined) return 'events' in held ? held.events : decodeBatch(held.bytes);
    const stored = await this.#jsm.streams.getMessage(this.#stream, { seq });
    if (stored === null) throw new Error(`events stream message ${seq} is gone`);
    return decodeBatch(stored.data);
  }

  /** Forgets batches once their round is applied. */
  forget(seqs: readonly number[]): void {
    for (const seq of seqs) {
      const held = this.#cache.get(seq);
      if (held === undefined) continue;
      this.#cache.delete(seq);
      if ('events' in held) this.#decodedEvents -= held.events.length;
      else this.#cachedBytes -= held.bytes.byteLength;
    }
  }
}
