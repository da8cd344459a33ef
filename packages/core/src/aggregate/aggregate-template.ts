import { MAX_U64 } from '../encoding/index.js';
import { EventError } from '../event/index.js';
import { algorithmByName, type HashAlgorithm } from '../imprint/index.js';
import { UUID_SIZE, writeUuidV7 } from '../uuid/index.js';
import type { AggregatedEvent } from './aggregated-event.js';
import { checkNotOwnParent } from './validate-aggregated-event.js';
import { aggregatedEventSize, putBytes, putU64, writeAggregatedEvent } from './write-aggregated-event.js';

/** What every event written with a template shares: all but the id, the data digest, the time and the nonce. */
export interface AggregateTemplateFields
  extends Omit<AggregatedEvent, 'eventId' | 'data' | 'occurredAt' | 'nonce'> {
  /** The algorithm of every event's data imprint. */
  readonly dataAlgorithm: HashAlgorithm;
}

/**
 * Random bytes a template takes per event: bytes 0–15 mint the event id (as mintUuidV7 uses them),
 * bytes 16–31 are the nonce.
 */
export const TEMPLATE_ENTROPY_BYTES = 32;

/** Where the varying fields sit in aggregated event v1 (docs/PROOFS.md §12). */
const EVENT_ID_AT = 5;
const DATA_DIGEST_AT = EVENT_ID_AT + UUID_SIZE + 1 + 2;

/**
 * Events that differ only in their id, data digest, time and nonce, written at the cost of a copy:
 * the template is validated and encoded once (by the same writer as any aggregated event), and each
 * event overwrites the four fields in place. `write` gives exactly the bytes of writeAggregatedEvent
 * on the whole event (tested).
 */
export class AggregateTemplate {
  /** Bytes of each event written. */
  readonly eventSize: number;
  /** Bytes of each data digest. */
  readonly digestSize: number;
  readonly #bytes: Uint8Array;
  readonly #timeAt: number;
  readonly #nonceAt: number;
  readonly #parents: readonly Uint8Array[];

  private constructor(bytes: Uint8Array, digestSize: number, timeAt: number, parents: readonly Uint8Array[]) {
    this.#bytes = bytes;
    this.eventSize = bytes.length;
    this.digestSize = digestSize;
    this.#timeAt = timeAt;
    this.#nonceAt = bytes.length - 16;
    this.#parents = parents;
  }

  /** Validates the shared fields (throws EventError naming the field) and encodes them once. */
  static compile(fields: AggregateTemplateFields): AggregateTemplate {
    const { dataAlgorithm, ...rest } = fields;
    const digestSize = algorithmByName(dataAlgorithm).digestSize;
    const sample: AggregatedEvent = {
      ...rest,
      eventId: SAMPLE_ID,
      data: { algorithm: dataAlgorithm, digest: new Uint8Array(digestSize) },
      occurredAt: 1,
      nonce: new Uint8Array(16),
    };
    const parents = rest.parents.map((p) => new Uint8Array(p));
    const bytes = new Uint8Array(aggregatedEventSize({ ...sample, parents }));
    writeAggregatedEvent({ ...sample, parents }, bytes, 0);
    // occurred_at is followed by parents (u16 count), attributes (u16 count) and the nonce
    const tail = 8 + 2 + 2 + 16;
    const timeAt = aggregatedEventSize({ ...sample, parents: [], attributes: [] }) - tail;
    return new AggregateTemplate(bytes, digestSize, timeAt, parents);
  }

  /**
   * Writes one event at `offset`: its id minted from `nowMs` and entropy[entropyAt, +16), its data
   * `digest`, `occurredAt` (µs) and the nonce entropy[entropyAt + 16, +16). Returns the offset after
   * it, or -1 (nothing written) when it does not fit. Throws EventError for a digest of the wrong
   * size (`data`), a time outside [1, 2^53 − 1] (`occurred_at`), an id equal to a parent.
   */
  write(
    target: Uint8Array,
    offset: number,
    nowMs: number,
    entropy: Uint8Array,
    entropyAt: number,
    digest: Uint8Array,
    occurredAt: number,
  ): number {
    if (digest.length !== this.digestSize) {
      throw new EventError(
        'IMPRINT_INVALID',
        'data',
        `data: digest has ${digest.length} bytes, want ${this.digestSize}`,
      );
    }
    if (!Number.isInteger(occurredAt) || occurredAt < 1 || occurredAt > MAX_U64) {
      throw new EventError(
        'TIME_INVALID',
        'occurred_at',
        'occurred_at: not an integer number of microseconds in [1, 2^53 - 1]',
      );
    }
    const end = offset + this.eventSize;
    if (offset < 0 || end > target.length) return -1;
    target.set(this.#bytes, offset);
    writeUuidV7(target, offset + EVENT_ID_AT, nowMs, entropy, entropyAt);
    if (this.#parents.length > 0) {
      checkNotOwnParent(
        target.subarray(offset + EVENT_ID_AT, offset + EVENT_ID_AT + UUID_SIZE),
        this.#parents,
      );
    }
    putBytes(target, offset + DATA_DIGEST_AT, digest);
    putU64(target, offset + this.#timeAt, occurredAt);
    for (let i = 0; i < 16; i++) target[offset + this.#nonceAt + i] = entropy[entropyAt + 16 + i] as number;
    return end;
  }
}

/** A UUIDv7 for validating a template (each event gets its own). */
const SAMPLE_ID = Uint8Array.of(0, 0, 0, 0, 0, 1, 0x70, 0, 0x80, 0, 0, 0, 0, 0, 0, 0);
