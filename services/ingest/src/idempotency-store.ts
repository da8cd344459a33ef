import { JetStreamApiError, type JetStreamClient } from '@nats-io/jetstream';
import { type KV, Kvm } from '@nats-io/kv';
import { headers } from '@nats-io/transport-node';
import { AsyncPublishError, type AsyncPublisher } from './async-publisher.js';
import { type ClaimRecord, decodeClaimRecord, encodeClaimRecord } from './claim-record.js';

export type ClaimOutcome = 'claimed' | 'exists';

/** A record as read, with the KV revision to compare-and-set against. */
export interface StoredClaim {
  readonly record: ClaimRecord;
  readonly revision: number;
}

const WRONG_LAST_SEQUENCE = 10071;

/**
 * The idempotency records in KV `<P>_IDS`: one per (tenant, event id), TTL = the dedup window.
 * Claims are KV creates (the stream's expected-last-subject-sequence 0), pipelined through the
 * AsyncPublisher; reads and compare-and-set updates (rare: resubmissions) use the KV client.
 */
export class IdempotencyStore {
  readonly #expectNew = headers();

  readonly #kv: KV;
  readonly #bucket: string;
  readonly #publisher: AsyncPublisher;

  private constructor(kv: KV, bucket: string, publisher: AsyncPublisher) {
    this.#kv = kv;
    this.#bucket = bucket;
    this.#publisher = publisher;
    this.#expectNew.set('Nats-Expected-Last-Subject-Sequence', '0');
  }

  /**
   * Opens the bucket, creating it (history 1, max age `ttlMs`) if needed, and bringing an existing
   * bucket's max age to `ttlMs`.
   */
  static async open(
    js: JetStreamClient,
    bucket: string,
    options: { ttlMs: number; replicas: number; publisher: AsyncPublisher },
  ): Promise<IdempotencyStore> {
    const kv = await new Kvm(js).create(bucket, {
      ttl: options.ttlMs,
      history: 1,
      replicas: options.replicas,
    });
    const jsm = await js.jetstreamManager();
    const stream = `KV_${bucket}`;
    const info = await jsm.streams.info(stream);
    const maxAge = options.ttlMs * 1_000_000;
    if (info.config.max_age !== maxAge) await jsm.streams.update(stream, { ...info.config, max_age: maxAge });
    return new IdempotencyStore(kv, bucket, options.publisher);
  }

  /** Claims `key`: 'claimed' when this call created it, 'exists' when it was there. Throws AsyncPublishError. */
  async claim(key: string, record: ClaimRecord): Promise<ClaimOutcome> {
    try {
      await this.#publisher.publish(`$KV.${this.#bucket}.${key}`, encodeClaimRecord(record), this.#expectNew);
      return 'claimed';
    } catch (error: unknown) {
      if (error instanceof AsyncPublishError && error.code === 'WRONG_LAST_SEQUENCE') return 'exists';
      throw error;
    }
  }

  /** The record of `key`, or undefined when there is none (never claimed, or expired). */
  async read(key: string): Promise<StoredClaim | undefined> {
    const entry = await this.#kv.get(key);
    if (entry === null || entry.operation !== 'PUT') return undefined;
    return { record: decodeClaimRecord(entry.value), revision: entry.revision };
  }

  /** Replaces the record if it is still at `revision` (the new revision), or undefined when someone changed it first. */
  async replace(key: string, record: ClaimRecord, revision: number): Promise<StoredClaim | undefined> {
    try {
      const next = await this.#kv.update(key, encodeClaimRecord(record), revision);
      return { record, revision: next };
    } catch (error: unknown) {
      if (error instanceof JetStreamApiError && error.code === WRONG_LAST_SEQUENCE) return undefined;
      throw error;
    }
  }
}
