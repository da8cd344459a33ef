import { type Pool, type PoolClient, toSafeInteger } from '@msi/postgres';
import { every, type Logger, type RunningLoop } from '@msi/service-kit';
import { DeliverPolicy, type JetStreamClient } from '@nats-io/jetstream';
import { SCHEMA } from './schema.js';

/** The streams the alerter follows; each has a cursor row in `alerter.cursors`. */
export type PumpKey = 'events' | 'seals' | 'rounds' | 'checkpoints' | 'security' | 'integrity';

/** One stored message handed to a handler. */
export interface PumpMessage {
  readonly seq: number;
  readonly subject: string;
  readonly data: Uint8Array;
  /** JetStream's store time, µs. */
  readonly storedAtUs: number;
}

/**
 * What a handler says about a message: `applied` commits it with the cursor; `wait` offers the same
 * message again shortly (e.g. a round whose events are not staged yet). A handler MUST decide to
 * wait before it writes anything: the messages before it in the group are committed.
 */
export type HandlerResult = 'applied' | 'wait';

export type PumpHandler = (message: PumpMessage, tx: PoolClient) => Promise<HandlerResult>;

export interface PumpOptions {
  readonly key: PumpKey;
  readonly js: JetStreamClient;
  readonly pool: Pool;
  readonly stream: string;
  readonly filter: string;
  readonly handle: PumpHandler;
  /** Called after each commit (to wake publishers and watchers). */
  readonly afterCommit?: () => void;
  /**
   * Run first in every transaction: throws unless this instance may still apply (the leader lock's
   * fence), so nothing commits once the lock is lost.
   */
  readonly fence?: (tx: PoolClient) => Promise<void>;
  readonly log: Logger;
  readonly waitMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** At most this many messages are applied in one transaction. */
const MAX_GROUP = 16;

/**
 * Applies one stream to Postgres exactly once, in stream order: an ordered (ephemeral) consumer
 * starts after the cursor stored in Postgres, and each message is handled in a transaction that also
 * advances the cursor, so a crash anywhere loses nothing and repeats nothing (the database, not a
 * consumer's ack floor, is the truth).
 */
export class StreamPump {
  readonly #o: PumpOptions;
  #stopped = false;
  #loop: RunningLoop | undefined;
  #cursor = 0;
  #caughtUp = false;
  #queued = 0;
  #halt: (() => void) | undefined;

  constructor(options: PumpOptions) {
    this.#o = options;
  }

  get key(): PumpKey {
    return this.#o.key;
  }

  /** The stream it applies. */
  get stream(): string {
    return this.#o.stream;
  }

  /** The last sequence applied. */
  get cursor(): number {
    return this.#cursor;
  }

  /** True when the last message delivered had nothing pending after it and all are applied. */
  get caughtUp(): boolean {
    return this.#caughtUp && this.#queued === 0;
  }

  /** Starts from the stored cursor (again after stop: a new leader resumes exactly). */
  async start(): Promise<void> {
    this.#stopped = false;
    const { rows } = await this.#o.pool.query(
      `SELECT last_seq FROM ${SCHEMA}.cursors WHERE stream = $1::text`,
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

  async #follow(): Promise<void> {
    const consumer = await this.#o.js.consumers.get(this.#o.stream, {
      filter_subjects: this.#o.filter,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: this.#cursor + 1,
    });
    const messages = await consumer.consume({ max_messages: 512 });
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
    const reader = (async () => {
      try {
        for await (const m of messages) {
          queue.push({
            seq: m.seq,
            subject: m.subject,
            data: m.data,
            storedAtUs: Math.floor(m.info.timestampNanos / 1000),
          });
          this.#queued = queue.length;
          this.#caughtUp = m.info.pending === 0;
          arrived?.();
          if (this.#stopped) break;
        }
      } finally {
        ended = true;
        arrived?.();
      }
    })();
    try {
      while (!this.#stopped && !ended) {
        if (queue.length === 0) {
          await new Promise<void>((resolve) => {
            arrived = resolve;
          });
          arrived = undefined;
          continue;
        }
        const group = queue.splice(0, MAX_GROUP).filter((m) => m.seq > this.#cursor);
        const applied = await this.#applyGroup(group);
        if (applied < group.length) queue.unshift(...group.slice(applied));
        this.#queued = queue.length;
      }
    } finally {
      this.#halt = undefined;
      void messages.close();
      await reader.catch(() => {});
      await consumer.delete().catch(() => {});
    }
    if (ended && !this.#stopped) throw new Error('the consumer ended');
  }

  /**
   * Applies `group` in one transaction and advances the cursor to the last applied. A message whose
   * handler says `wait` (having written nothing) ends the group; it is offered again after a short
   * sleep. Returns how many were applied.
   */
  async #applyGroup(group: readonly PumpMessage[]): Promise<number> {
    if (group.length === 0) return 0;
    const client = await this.#o.pool.connect();
    let applied = 0;
    try {
      await client.query('BEGIN');
      await this.#o.fence?.(client);
      for (const message of group) {
        const result = await this.#o.handle(message, client);
        if (result === 'wait') break;
        applied += 1;
      }
      const last = group[applied - 1];
      if (last !== undefined) {
        // From the cursor this pump started at, or nothing: two appliers of one stream (a leader
        // that lost its lock and the next one) can never both commit the same message.
        const moved = await client.query(
          `UPDATE ${SCHEMA}.cursors SET last_seq = $2::int8 WHERE stream = $1::text AND last_seq = $3::int8`,
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
    if (applied > 0) this.#o.afterCommit?.();
    if (applied < group.length && !this.#stopped) await sleep(this.#o.waitMs ?? 50);
    return applied;
  }
}
