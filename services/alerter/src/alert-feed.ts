import type { Pool, PoolClient } from '@msi/postgres';
import type { Logger } from '@msi/service-kit';
import { ALERT_CHANNEL } from './schema.js';

/**
 * Tells listeners that alerts were committed: a Postgres LISTEN on ALERT_CHANNEL (so it works with
 * any number of alerter instances), plus a tick every `pollMs` that covers a lost connection.
 */
export class AlertFeed {
  readonly #listeners = new Set<() => void>();
  #client: PoolClient | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(
    private readonly pool: Pool,
    private readonly log: Logger,
    private readonly pollMs = 1000,
  ) {}

  async start(): Promise<void> {
    await this.#listen();
    this.#timer = setInterval(() => this.notify(), this.pollMs);
    this.#timer.unref();
  }

  async #listen(): Promise<void> {
    if (this.#closed) return;
    try {
      const client = await this.pool.connect();
      client.on('notification', () => this.notify());
      client.on('error', () => {
        client.release(true);
        if (this.#client === client) this.#client = undefined;
        setTimeout(() => void this.#listen(), 1000).unref();
      });
      await client.query(`LISTEN ${ALERT_CHANNEL}`);
      this.#client = client;
    } catch (error: unknown) {
      this.log.warn('alert feed: LISTEN failed; polling until it works', { error: (error as Error).message });
      setTimeout(() => void this.#listen(), 1000).unref();
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
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    const client = this.#client;
    this.#client = undefined;
    if (client !== undefined) {
      await client.query(`UNLISTEN ${ALERT_CHANNEL}`).catch(() => {});
      client.release();
    }
  }
}
