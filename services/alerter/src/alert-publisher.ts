import { publishDurable, subjectsFor } from '@msi/nats';
import type { Pool } from '@msi/postgres';
import { alerterV1 } from '@msi/proto';
import { every, type Logger, type RunningLoop } from '@msi/service-kit';
import type { JetStreamClient } from '@nats-io/jetstream';
import { alertToProto } from './alert.js';
import { alertFromRow } from './alert-store.js';
import { SCHEMA } from './schema.js';

/**
 * The alerts outbox: every stored alert not yet published goes to `<prefix>.alerts.<severity>` (an
 * alerter.v1.Alert, msgID = alert id, so a republish after a crash is dropped by JetStream's
 * duplicate window), in sequence order, then is marked published.
 */
export class AlertPublisher {
  readonly #pool: Pool;
  readonly #js: JetStreamClient;
  readonly #prefix: string;
  readonly #log: Logger;
  #loop: RunningLoop | undefined;

  constructor(pool: Pool, js: JetStreamClient, prefix: string, log: Logger) {
    this.#pool = pool;
    this.#js = js;
    this.#prefix = prefix;
    this.#log = log;
  }

  /** Publishes what is pending now, then every second or when kicked (again after stop). */
  start(): void {
    this.#loop ??= every({
      intervalMs: 1000,
      run: async () => ((await this.publishPending()) > 0 ? 0 : undefined),
      onError: (error) =>
        this.#log.warn('alert publication failed; retrying', { error: (error as Error).message }),
    });
  }

  /** Publish now (called after alerts commit). */
  kick(): void {
    this.#loop?.wake();
  }

  async stop(): Promise<void> {
    const loop = this.#loop;
    this.#loop = undefined;
    await loop?.stop();
  }

  /** Publishes what is pending; returns how many were published. */
  async publishPending(): Promise<number> {
    const subjects = subjectsFor(this.#prefix);
    const { rows } = await this.#pool.query(
      `SELECT * FROM ${SCHEMA}.alerts WHERE NOT published ORDER BY sequence LIMIT 100`,
    );
    for (const row of rows) {
      const alert = alertFromRow(row);
      await publishDurable(
        this.#js,
        subjects.alerts(alert.severity),
        alerterV1.Alert.encode(alertToProto(alert)).finish(),
        { msgID: `alert-${alert.alertId}`, attempts: 3, timeoutMs: 5000 },
      );
      await this.#pool.query(`UPDATE ${SCHEMA}.alerts SET published = true WHERE sequence = $1::int8`, [
        alert.sequence,
      ]);
    }
    return rows.length;
  }
}
