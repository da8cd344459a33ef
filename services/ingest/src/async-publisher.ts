import { CodedError } from '@msi/core';
import { createInbox, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/transport-node';

/** A JetStream acknowledgement. */
export interface StoredAck {
  readonly seq: number;
  readonly duplicate: boolean;
}

export type AsyncPublishErrorCode =
  /** The stream's expected-last-subject-sequence check failed (for KV: the key exists). */
  'WRONG_LAST_SEQUENCE' | 'TIMEOUT' | 'NO_RESPONDERS' | 'REJECTED' | 'CLOSED';

export class AsyncPublishError extends CodedError<AsyncPublishErrorCode> {
  override readonly name = 'AsyncPublishError';
}

interface Outgoing {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly headers: MsgHdrs | undefined;
  readonly reply: string;
}

interface Pending {
  readonly resolve: (ack: StoredAck) => void;
  readonly reject: (error: AsyncPublishError) => void;
  readonly startedAt: number;
}

const WRONG_LAST_SEQUENCE = 10071;
const decoder = new TextDecoder();

/**
 * Pipelined JetStream publishing: each message goes out with a reply subject under one shared inbox
 * subscription, and acks are matched by that subject. nats.js's js.publish (a request per message,
 * with a timer each) tops out near 15k msg/s here; this reaches several times that with thousands
 * in flight, which the per-event idempotency claims need. Timeouts are swept by one interval timer.
 * Not a general client: no retries (a claim is retried by the caller's caller, with the same key).
 */
export class AsyncPublisher {
  readonly #prefix = createInbox();
  readonly #pending = new Map<string, Pending>();
  readonly #subscription: Subscription;
  readonly #sweeper: NodeJS.Timeout;
  #counter = 0;
  #outgoing: Outgoing[] = [];
  #sendScheduled = false;

  readonly #nc: NatsConnection;
  readonly #timeoutMs: number;
  readonly #nowMs: () => number;

  constructor(nc: NatsConnection, timeoutMs: number, nowMs: () => number = Date.now) {
    this.#nc = nc;
    this.#timeoutMs = timeoutMs;
    this.#nowMs = nowMs;
    this.#subscription = nc.subscribe(`${this.#prefix}.*`, {
      callback: (error, msg) => {
        if (error !== null) return;
        const pending = this.#pending.get(msg.subject);
        if (pending === undefined) return; // timed out already
        this.#pending.delete(msg.subject);
        settle(pending, msg.headers, msg.data);
      },
    });
    this.#sweeper = setInterval(() => this.#sweep(), Math.max(10, Math.floor(timeoutMs / 4)));
    this.#sweeper.unref();
  }

  /**
   * Publishes and resolves with the stream's ack; rejects with AsyncPublishError. Messages are sent
   * together once per event-loop turn, so that a stream of single-event requests costs one socket
   * write per turn rather than one per event.
   */
  publish(subject: string, data: Uint8Array, headers?: MsgHdrs): Promise<StoredAck> {
    return new Promise((resolve, reject) => {
      if (this.#nc.isClosed()) {
        reject(new AsyncPublishError('CLOSED', 'the NATS connection is closed'));
        return;
      }
      this.#counter += 1;
      const reply = `${this.#prefix}.${this.#counter.toString(36)}`;
      this.#pending.set(reply, { resolve, reject, startedAt: this.#nowMs() });
      this.#outgoing.push({ subject, data, headers, reply });
      if (!this.#sendScheduled) {
        this.#sendScheduled = true;
        setImmediate(() => this.#send());
      }
    });
  }

  /** Messages waiting for their ack. */
  get inFlight(): number {
    return this.#pending.size;
  }

  /** Rejects everything pending and stops listening. */
  close(): void {
    clearInterval(this.#sweeper);
    this.#outgoing = [];
    this.#subscription.unsubscribe();
    for (const pending of this.#pending.values()) {
      pending.reject(new AsyncPublishError('CLOSED', 'publisher closed'));
    }
    this.#pending.clear();
  }

  #send(): void {
    this.#sendScheduled = false;
    const outgoing = this.#outgoing;
    this.#outgoing = [];
    for (const { subject, data, headers, reply } of outgoing) {
      try {
        this.#nc.publish(subject, data, headers === undefined ? { reply } : { reply, headers });
      } catch (error: unknown) {
        const pending = this.#pending.get(reply);
        this.#pending.delete(reply);
        pending?.reject(
          new AsyncPublishError('CLOSED', error instanceof Error ? error.message : String(error)),
        );
      }
    }
  }

  #sweep(): void {
    const expired = this.#nowMs() - this.#timeoutMs;
    // Insertion order is start order, so the expired entries are a prefix of the map.
    for (const [reply, pending] of this.#pending) {
      if (pending.startedAt > expired) break;
      this.#pending.delete(reply);
      pending.reject(new AsyncPublishError('TIMEOUT', `no JetStream ack within ${this.#timeoutMs} ms`));
    }
  }
}

function settle(pending: Pending, headers: MsgHdrs | undefined, data: Uint8Array): void {
  if (headers?.hasError === true && data.length === 0) {
    const code = headers.code === 503 ? 'NO_RESPONDERS' : 'REJECTED';
    pending.reject(new AsyncPublishError(code, `JetStream answered ${headers.code} ${headers.description}`));
    return;
  }
  let ack: { seq?: unknown; duplicate?: unknown; error?: { err_code?: unknown; description?: unknown } };
  try {
    ack = JSON.parse(decoder.decode(data));
  } catch {
    pending.reject(new AsyncPublishError('REJECTED', 'JetStream answered something that is not a PubAck'));
    return;
  }
  if (ack.error !== undefined) {
    const code = ack.error.err_code === WRONG_LAST_SEQUENCE ? 'WRONG_LAST_SEQUENCE' : 'REJECTED';
    pending.reject(new AsyncPublishError(code, String(ack.error.description ?? 'JetStream error')));
    return;
  }
  if (typeof ack.seq !== 'number') {
    pending.reject(new AsyncPublishError('REJECTED', 'PubAck without a sequence'));
    return;
  }
  pending.resolve({ seq: ack.seq, duplicate: ack.duplicate === true });
}
