import type { DataEvent } from '@msi/core';
import type { JetStreamManager } from '@nats-io/jetstream';
import { decodeBatch } from './event-intake.js';

/** How many decoded events are kept in memory for their round (beyond, they are re-read). */
const MAX_CACHED_EVENTS = 250_000;

/**
 * The events of staged batches, by events-stream sequence: decoded once on arrival and kept in
 * memory until their round is anchored; after a restart (or beyond the memory bound) a batch is
 * read back from JetStream by sequence — the stream, not Postgres, holds the events' bytes.
 */
export class StagedEvents {
  readonly #cache = new Map<number, DataEvent[]>();
  #cached = 0;

  readonly #jsm: JetStreamManager;
  readonly #stream: string;

  constructor(jsm: JetStreamManager, stream: string) {
    this.#jsm = jsm;
    this.#stream = stream;
  }

  /** Remembers the decoded events of batch `seq`. */
  remember(seq: number, events: DataEvent[]): void {
    if (this.#cache.has(seq)) return;
    this.#cache.set(seq, events);
    this.#cached += events.length;
    for (const [oldest, old] of this.#cache) {
      if (this.#cached <= MAX_CACHED_EVENTS) break;
      this.#cache.delete(oldest);
      this.#cached -= old.length;
    }
  }

  /** The events of batch `seq`, from memory or from the stream (throws when the stream lost it). */
  async events(seq: number): Promise<DataEvent[]> {
    const cached = this.#cache.get(seq);
    if (cached !== undefined) return cached;
    const stored = await this.#jsm.streams.getMessage(this.#stream, { seq });
    if (stored === null) throw new Error(`events stream message ${seq} is gone`);
    return decodeBatch(stored.data);
  }

  /** Forgets batches once their round is applied. */
  forget(seqs: readonly number[]): void {
    for (const seq of seqs) {
      const events = this.#cache.get(seq);
      if (events === undefined) continue;
      this.#cache.delete(seq);
      this.#cached -= events.length;
    }
  }
}
