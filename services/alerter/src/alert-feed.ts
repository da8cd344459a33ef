import type { Pool, PoolClient } from '@msi/postgres';
import { every, type Logger, type RunningLoop } from '@msi/service-kit';
import { ALERT_CHANNEL } from './schema.js';

/**
 * Tells listeners that alerts were committed: a Postgres LISTEN on ALERT_CHANNEL (so it works with
 * any number of alerter instances), plus a tick every `pollMs` that covers a lost connection.
 */
export class AlertFeed {
  readonly #listeners = new Set<() => void>();
  readonly #pool: Pool;
  readonly #log: Logger;
  readonly #pollMs: number;
  #client: PoolClient | undefined;
  #loop: RunningLoop | undefined;
  #listenFailed = false;

  constructor(pool: Pool, log: Logger, pollMs = 1000) {
    this.#pool = pool;
    this.#log = log;
    this.#pollMs = pollMs;
  }

  /** LISTENs (again whenever its session is lost) and ticks every pollMs. */
  async start(): Promise<void> {
    await this.#listen();
    this.#loop = every({
      intervalMs: this.#pollMs,
      waitFirst: true,
      run: async () => {
        this.notify();
        if (this.#client === undefined) await this.#listen();
      },
    });
  }

  async #listen(): Promise<void> {
    try {
      const client = await this.#pool.connect();
      client.on('notification', () => this.notify());
      client.on('error', () => {
        client.release(true);
        if (this.#client === client) this.#client = undefined;
      });
      await client.query(`LISTEN ${ALERT_CHANNEL}`);
      this.#client = client;
      this.#listenFailed = false;
    } catch (error: unknown) {
      if (!this.#listenFailed)
        this.#log.warn('alert feed: LISTEN failed; polling until it works', {
          error: (error as Error).message,
        });
      this.#listenFailed = true;
    }
  }

  /** Wakes every listener (also called in-process right after a commit). */
  notify(): void {
    for (const listener of this.#listeners) listener();
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    await this.#loop?.stop();
    const client = this.#client;
    this.#client = undefined;
    if (client !== undefined) {
      await client.query(`UNLISTEN ${ALERT_CHANNEL}`).catch(() => {});
      client.release();
    }
  }
}
