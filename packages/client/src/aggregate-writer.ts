import { AggregateTemplate, type AggregateTemplateFields } from '@msi/core';
import type { Aggregator } from './aggregator.js';
import { MsiClientError } from './client-error.js';

/**
 * The fast path of aggregation, for events that differ only in their data and id (and, optionally,
 * their time): the shared fields are checked and encoded once (core AggregateTemplate), and each
 * event costs a copy, an id, a nonce and its share of the leaf hashing. Synchronous: tryEmit never
 * waits; when the pending bound is reached it returns -1 and ready() says when to go on.
 */
export class AggregateWriter {
  readonly #aggregator: Aggregator;
  readonly #template: AggregateTemplate;
  readonly #now: () => number;
  readonly #closed: () => boolean;

  /** @internal created by MsiClient.aggregateTemplate */
  constructor(
    aggregator: Aggregator,
    fields: AggregateTemplateFields,
    now: () => number,
    closed: () => boolean,
  ) {
    this.#aggregator = aggregator;
    this.#template = AggregateTemplate.compile(fields);
    this.#now = now;
    this.#closed = closed;
  }

  /** The bytes of each event written (the same for all). */
  get eventSize(): number {
    return this.#template.eventSize;
  }

  /**
   * Aggregates one event with this data `digest` (of the template's algorithm) and `occurredAt` (µs,
   * default now). Returns its sequence number (locate() turns it into a tree and index), or -1 when
   * `aggregation.maxPendingEvents` events wait for a durable root (await ready(), then try again).
   * Throws MsiClientError CLOSED, INVALID_EVENT (a digest of another size, a time out of range).
   */
  tryEmit(digest: Uint8Array, occurredAt?: number): number {
    if (this.#closed()) throw new MsiClientError('CLOSED', 'the client is closed: emit before close()');
    if (!this.#aggregator.hasRoom) return -1;
    const nowMs = this.#now();
    return this.#aggregator.addFromTemplate(this.#template, digest, occurredAt ?? nowMs * 1000, nowMs);
  }

  /** Resolves once tryEmit may succeed again. */
  ready(): Promise<void> {
    return this.#aggregator.room();
  }

  /** The local tree and index of the event with this sequence number. */
  locate(sequence: number): { readonly treeId: string; readonly index: number } | undefined {
    return this.#aggregator.locate(sequence);
  }
}
