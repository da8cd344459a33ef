import { type Pool, type PoolClient, toSafeInteger } from '@msi/postgres';
import {
  AckPolicy,
  type Consumer,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/transport-node';
import { every, type RunningLoop } from './every.js';
import type { Logger } from './logger.js';

/** One stored message handed to an applier. */
export interface PumpMessage {
  readonly seq: number;
  readonly subject: string;
  readonly data: Uint8Array;
  /** JetStream's store time, µs. */
  readonly storedAtUs: number;
  /** The message's headers (trace context, among others), when it has any. */
  readonly headers?: MsgHdrs;
}

/**
 * What an applier did with a group: it applied the first `applied` messages (written in the
 * transaction); the rest are offered again shortly (e.g. a round whose seals are not applied yet).
 * `committed` runs once the transaction has committed (announce what was found, move in-memory
 * state), never when it rolled back.
 */
export interface GroupApplied {
  readonly applied: number;
  readonly committed?: () => void;
}

/**
 * Applies a group of messages in stream order within `tx`. It MUST NOT write anything for a message
 * it does not apply: the cursor commits with the messages it counts.
 */
export type GroupApplier = (messages: readonly PumpMessage[], tx: PoolClient) => Promise<GroupApplied>;

/** What a per-message handler says: `applied` commits it with the cursor; `wait` offers it again. */
export type HandlerResult = 'applied' | 'wait';
export type PumpHandler = (message: PumpMessage, tx: PoolClient) => Promise<HandlerResult>;

/** A group applier from a per-message handler: applies messages one by one until one waits. */
export function eachMessage(handle: PumpHandler): GroupApplier {
  return async (messages, tx) => {
    let applied = 0;
    for (const message of messages) {
      if ((await handle(message, tx)) === 'wait') break;
      applied += 1;
    }
    return { applied };
  };
}

export interface StreamPumpOptions {
  /** The stream's row in the cursor table. */
  readonly key: string;
  readonly js: JetStreamClient;
  readonly pool: Pool;
  readonly stream: string;
  readonly filter: string;
  /** A table `(stream text PRIMARY KEY, last_seq bigint)` holding the key's row, schema-qualified. */
  readonly cursorTable: string;
  readonly apply: GroupApplier;
  /**
   * Consume through a consumer of this name, recreated at the cursor on every (re)start (for NATS
   * users allowed only named consumers). Without it, an ordered (ephemeral) consumer.
   */
  readonly consumer?: { readonly name: string; readonly jsm: JetStreamManager };
  /** At most this many messages are applied in one transaction (default 16). */
  readonly maxGroup?: number;
  /** At most this many messages are buffered ahead of the applier (default 512). */
  readonly buffer?: number;
  /** Called after each commit that applied something (to wake publishers and watchers). */
  readonly afterCommit?: () => void;
  /**
   * Run first in every transaction: throws unless this instance may still apply (a leader lock's
   * fence), so nothing commits once the lock is lost.
   */
  readonly fence?: (tx: PoolClient) => Promise<void>;
  readonly log: Logger;
  /** How long a message an applier did not apply waits before it is offered again (default 50 ms). */
  readonly waitMs?: number;
  /** How long nothing delivered before the pump checks its consumer is not stuck (default 5 s). */
  readonly stallCheckMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * How long a pump waits with nothing delivered before it asks the server whether messages are
 * pending for its consumer: if some are (or the consumer is gone), the consumer is stuck and the pump
 * starts again from its cursor. nats.js's consume() of a named consumer delivered nothing more after
 * the server had dropped a paused client as a slow consumer and it reconnected (the alerter, paused
 * 14 s under load), and it never recreates a named consumer deleted from under it.
 */
const STALL_CHECK_MS = 5000;

/**
 * Applies one stream to Postgres exactly once, in stream order: a consumer starts after the cursor
 * stored in Postgres, and each group of messages is applied in a transaction that also advances the
 * cursor, so a crash anywhere loses nothing and repeats nothing (the database, not a consumer's ack
 * floor, is the truth). A gap in what the consumer delivers restarts it from the cursor.
 */
export class StreamPump {
  readonly #o: StreamPumpOptions;
  #stopped = false;
  #loop: RunningLoop | undefined;
  #cursor = 0;
  #caughtUp = false;
  /** Messages delivered and not yet committed (queued or in the group being applied). */
  #unapplied = 0;
  #halt: (() => void) | undefined;

  constructor(options: StreamPumpOptions) {
    this.#o = options;
  }

  get key(): string {
    return this.#o.key;
  }

  /** The stream it applies. */
  get stream(): string {
    return this.#o.stream;
  }

  /** The last sequence applied (committed). */
  get cursor(): number {
    return this.#cursor;
  }

  /** True when the last message delivered had nothing pending after it and all are committed. */
  get caughtUp(): boolean {
    return this.#caughtUp && this.#unapplied === 0;
  }

  /** Starts from the stored cursor (again after stop: a new leader resumes exactly). */
  async start(): Promise<void> {
    this.#stopped = false;
    const { rows } = await this.#o.pool.query(
      `SELECT last_seq FROM ${this.#o.cursorTable} WHERE stream = $1::text`,
      [this.#o.key],
    );
    this.#cursor = toSafeInteger(rows[0]?.last_seq ?? 0, 'last_seq');
    this.#loop = every({
      intervalMs: 1000,
      run: async () => {
        await this.#follow();
        return 0;
      },
      onError: (error) =>
        this.#o.log.warn('stream pump failed; restarting from the stored cursor', {
          stream: this.#o.key,
          error: (error as Error).message,
        }),
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#halt?.();
    await this.#loop?.stop();
  }

  async #open(): Promise<Consumer> {
    const start = { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: this.#cursor + 1 };
    const named = this.#o.consumer;
    if (named === undefined) {
      return this.#o.js.consumers.get(this.#o.stream, { filter_subjects: this.#o.filter, ...start });
    }
    await named.jsm.consumers.delete(this.#o.stream, named.name).catch(() => {});
    await named.jsm.consumers.add(this.#o.stream, {
      durable_name: named.name,
      filter_subject: this.#o.filter,
      ack_policy: AckPolicy.None,
      ...start,
    });
    return this.#o.js.consumers.get(this.#o.stream, named.name);
  }

  async #follow(): Promise<void> {
    this.#unapplied = 0;
    const consumer = await this.#open();
    const messages = await consumer.consume({ max_messages: this.#o.buffer ?? 512 });
    // Nothing delivered yet: caught up exactly when nothing is pending for the new consumer.
    this.#caughtUp = await consumer
      .info()
      .then((info) => info.num_pending === 0)
      .catch(() => false);
    this.#halt = () => {
      void messages.close();
    };
    // Messages are applied as they arrive (a reader of the iterator), in groups of whatever has
    // arrived meanwhile (an applier), so latency stays low and a busy stream commits in batches.
    const queue: PumpMessage[] = [];
    let arrived: (() => void) | undefined;
    let ended = false;
    let gap: string | undefined;
    let delivered = 0;
    const named = this.#o.consumer !== undefined;
    const reader = (async () => {
      try {
        for await (const m of messages) {
          // A named consumer delivers each message once, in order: anything skipped (a lost pull)
          // restarts it from the cursor. (An ordered consumer checks and recreates itself.)
          if (named && m.info.deliverySequence !== delivered + 1) {
            gap = `delivery ${m.info.deliverySequence} after ${delivered}`;
            break;
          }
          delivered = m.info.deliverySequence;
          queue.push({
            seq: m.seq,
            subject: m.subject,
            data: m.data,
            storedAtUs: Math.floor(m.info.timestampNanos / 1000),
            ...(m.headers === undefined ? {} : { headers: m.headers }),
          });
          this.#unapplied += 1;
          this.#caughtUp = m.info.pending === 0;
          arrived?.();
          if (this.#stopped) break;
        }
      } finally {
        ended = true;
        arrived?.();
      }
    })();
    let stalled: string | undefined;
    try {
      while (!this.#stopped && !ended) {
        if (queue.length === 0) {
          const deliveredBefore = delivered;
          let timer: ReturnType<typeof setTimeout> | undefined;
          const woke = await new Promise<boolean>((resolve) => {
            arrived = () => resolve(true);
            timer = setTimeout(() => resolve(false), this.#o.stallCheckMs ?? STALL_CHECK_MS);
          });
          clearTimeout(timer);
          arrived = undefined;
          if (!woke && queue.length === 0 && delivered === deliveredBefore && !this.#stopped && !ended) {
            stalled = await this.#stuck(consumer);
            if (stalled !== undefined) break;
          }
          continue;
        }
        const taken = queue.splice(0, this.#o.maxGroup ?? 16);
        const group = taken.filter((m) => m.seq > this.#cursor);
        const applied = await this.#applyGroup(group);
        this.#unapplied -= taken.length - group.length + applied;
        if (applied < group.length) queue.unshift(...group.slice(applied));
      }
    } finally {
      // Until the next consumer says otherwise, messages may be stored that this pump has not seen.
      this.#caughtUp = false;
      this.#halt = undefined;
      void messages.close();
      await reader.catch(() => {});
      if (this.#o.consumer === undefined) await consumer.delete().catch(() => {});
    }
    if (stalled !== undefined) throw new Error(`the consumer is stuck (${stalled})`);
    if (gap !== undefined) throw new Error(`the consumer skipped messages (${gap})`);
    if (ended && !this.#stopped) throw new Error('the consumer ended');
  }

  /**
   * Why a consumer that delivered nothing for a while is stuck: messages are pending for it on the
   * server, or the server no longer knows it; undefined when it is merely idle.
   */
  async #stuck(consumer: Consumer): Promise<string | undefined> {
    try {
      const info = await consumer.info();
      return info.num_pending > 0 ? `${info.num_pending} messages pending, none delivered` : undefined;
    } catch (error: unknown) {
      return `its info failed: ${(error as Error).message}`;
    }
  }

  /**
   * Applies `group` in one transaction and advances the cursor to the last applied. Messages the
   * applier did not apply (having written nothing for them) are offered again after a short sleep.
   * Returns how many were applied.
   */
  async #applyGroup(group: readonly PumpMessage[]): Promise<number> {
    if (group.length === 0) return 0;
    const client = await this.#o.pool.connect();
    let result: GroupApplied;
    try {
      await client.query('BEGIN');
      await this.#o.fence?.(client);
      result = await this.#o.apply(group, client);
      const last = group[result.applied - 1];
      if (last !== undefined) {
        // From the cursor this pump started at, or nothing: two appliers of one stream (a leader
        // that lost its lock and the next one) can never both commit the same message.
        const moved = await client.query(
          `UPDATE ${this.#o.cursorTable} SET last_seq = $2::int8 WHERE stream = $1::text AND last_seq = $3::int8`,
          [this.#o.key, last.seq, this.#cursor],
        );
        if (moved.rowCount !== 1) throw new Error(`the ${this.#o.key} cursor moved under this pump`);
      }
      await client.query('COMMIT');
      if (last !== undefined) this.#cursor = last.seq;
    } catch (error: unknown) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
    result.committed?.();
    if (result.applied > 0) this.#o.afterCommit?.();
    if (result.applied < group.length && !this.#stopped) await sleep(this.#o.waitMs ?? 50);
    return result.applied;
  }
}
