import { publishDurable, subjectsFor } from '@msi/nats';
import type { Pool } from '@msi/postgres';
import { alerterV1 } from '@msi/proto';
import type { Logger } from '@msi/service-kit';
import type { JetStreamClient } from '@nats-io/jetstream';
import { alertToProto } from './alert.js';
import { alertFromRow } from './alert-store.js';
import { SCHEMA } from './schema.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The alerts outbox: every stored alert not yet published goes to `<prefix>.alerts.<severity>` (an
 * alerter.v1.Alert, msgID = alert id, so a republish after a crash is dropped by JetStream's
 * duplicate window), in sequence order, then is marked published.
 */
export class AlertPublisher {
  #stopped = false;
  #wake: (() => void) | undefined;
  #loop: Promise<void> = Promise.resolve();

  constructor(
    private readonly pool: Pool,
    private readonly js: JetStreamClient,
    private readonly prefix: string,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.#loop = this.#run();
  }

  /** Publish now (called after alerts commit). */
  kick(): void {
    this.#wake?.();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#loop;
  }

  /** Publishes what is pending; returns how many were published. */
  async publishPending(): Promise<number> {
    const subjects = subjectsFor(this.prefix);
    const { rows } = await this.pool.query(
      `SELECT * FROM ${SCHEMA}.alerts WHERE NOT published ORDER BY sequence LIMIT 100`,
    );
    for (const row of rows) {
      const alert = alertFromRow(row);
      await publishDurable(
        this.js,
        subjects.alerts(alert.severity),
        alerterV1.Alert.encode(alertToProto(alert)).finish(),
        { msgID: `alert-${alert.alertId}`, attempts: 3, timeoutMs: 5000 },
      );
      await this.pool.query(`UPDATE ${SCHEMA}.alerts SET published = true WHERE sequence = $1::int8`, [
        alert.sequence,
      ]);
    }
    return rows.length;
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      let published = 0;
      try {
        published = await this.publishPending();
      } catch (error: unknown) {
        this.log.warn('alert publication failed; retrying', { error: (error as Error).message });
        await sleep(1000);
      }
      if (published > 0 || this.#stopped) continue;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        setTimeout(resolve, 1000);
      });
      this.#wake = undefined;
    }
  }
}
