import type { Pool, PoolClient } from '@msi/postgres';
import type { Logger } from '@msi/service-kit';
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
 * What a handler says about a message: `applied` commits it with the cursor; `wait` rolls back and
 * offers the same message again shortly (e.g. a round whose events are not staged yet).
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
  readonly log: Logger;
  readonly waitMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Applies one stream to Postgres exactly once, in stream order: an ordered (ephemeral) consumer
 * starts after the cursor stored in Postgres, and each message is handled in a transaction that also
 * advances the cursor, so a crash anywhere loses nothing and repeats nothing (the database, not a
 * consumer's ack floor, is the truth).
 */
export class StreamPump {
  readonly #o: PumpOptions;
  #stopped = false;
  #loop: Promise<void> = Promise.resolve();
  #cursor = 0;
  #caughtUp = false;

  constructor(options: PumpOptions) {
    this.#o = options;
  }

  get key(): PumpKey {
    return this.#o.key;
  }

  /** The last sequence applied. */
  get cursor(): number {
    return this.#cursor;
  }

  /** True once a fetch found nothing pending beyond what was applied. */
  get caughtUp(): boolean {
    return this.#caughtUp;
  }

  async start(): Promise<void> {
    const { rows } = await this.#o.pool.query(`SELECT last_seq FROM ${SCHEMA}.cursors WHERE stream = $1`, [
      this.#o.key,
    ]);
    this.#cursor = Number(rows[0]?.last_seq ?? 0);
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      try {
        await this.#follow();
      } catch (error: unknown) {
        if (this.#stopped) return;
        this.#o.log.warn('stream pump failed; restarting from the stored cursor', {
          stream: this.#o.key,
          error: (error as Error).message,
        });
        await sleep(1000);
      }
    }
  }

  async #follow(): Promise<void> {
    const consumer = await this.#o.js.consumers.get(this.#o.stream, {
      filter_subjects: this.#o.filter,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: this.#cursor + 1,
    });
    try {
      while (!this.#stopped) {
        const batch = await consumer.fetch({ max_messages: 256, expires: 1000 });
        const messages: PumpMessage[] = [];
        let pending = 0;
        for await (const m of batch) {
          pending = m.info.pending;
          messages.push({
            seq: m.seq,
            subject: m.subject,
            data: m.data,
            storedAtUs: Math.floor(m.info.timestampNanos / 1000),
          });
        }
        for (const message of messages) {
          if (message.seq <= this.#cursor) continue;
          await this.#apply(message);
          if (this.#stopped) return;
        }
        this.#caughtUp = pending === 0;
      }
    } finally {
      await consumer.delete().catch(() => {});
    }
  }

  async #apply(message: PumpMessage): Promise<void> {
    for (;;) {
      const client = await this.#o.pool.connect();
      let result: HandlerResult;
      try {
        await client.query('BEGIN');
        result = await this.#o.handle(message, client);
        if (result === 'applied') {
          await client.query(`UPDATE ${SCHEMA}.cursors SET last_seq = $2 WHERE stream = $1`, [
            this.#o.key,
            message.seq,
          ]);
          await client.query('COMMIT');
        } else {
          await client.query('ROLLBACK');
        }
      } catch (error: unknown) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
      if (result === 'applied') {
        this.#cursor = message.seq;
        this.#o.afterCommit?.();
        return;
      }
      if (this.#stopped) return;
      await sleep(this.#o.waitMs ?? 50);
    }
  }
}
