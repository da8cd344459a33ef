import { PublishError, publishDurable } from '@msi/nats';
import { tryWithAdvisoryLock } from '@msi/postgres';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/transport-node';
import type pg from 'pg';
import { CalendarError } from './calendar-error.js';
import { markPublished, outboxFrom } from './calendar-repository.js';
import { lastPublished } from './jetstream-log.js';
import { planPublish } from './publish-plan.js';
import { MIGRATION_LOCK_KEY } from './schema.js';

/** Only one process of a calendar database publishes at a time (session advisory lock "MSIC" + 2). */
const PUBLISH_LOCK_KEY = MIGRATION_LOCK_KEY + 2;

export interface OutboxPublisherOptions {
  readonly pool: pg.Pool;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly stream: string;
  readonly subject: string;
  /** Rows read per query. */
  readonly batch?: number;
  readonly publishTimeoutMs: number;
  /** Headers to publish a round with (its trace context), beside the payload. */
  readonly headersOf?: (round: number) => MsgHdrs | undefined;
}

/** What one drain did. */
export interface DrainResult {
  readonly published: number;
  readonly plan: 'publish' | 'up-to-date' | 'behind' | 'locked';
}

/**
 * Publishes RoundAnchored messages from the outbox to `<prefix>.rounds`, in round order, each with
 * msgID `round-<k>` and the expected last subject sequence of round k − 1 (see planPublish), then marks
 * its row published. Whatever the stream lacks is (re)sent, so it survives restarts and a server that
 * lost acked messages. Throws FORKED when the stream's last round is not the database's.
 */
export async function drainOutbox(options: OutboxPublisherOptions): Promise<DrainResult> {
  const result = await tryWithAdvisoryLock(options.pool, PUBLISH_LOCK_KEY, (client) =>
    drainLocked(options, client),
  );
  return result ?? { published: 0, plan: 'locked' };
}

async function drainLocked(options: OutboxPublisherOptions, client: pg.PoolClient): Promise<DrainResult> {
  const batch = options.batch ?? 100;
  let published = 0;
  for (;;) {
    const last = await lastPublished(options.jsm, options.stream, options.subject);
    if (last !== undefined) await markPublished(client, last.round);
    const rows = await outboxFrom(client, last?.round ?? 0, batch + 1);
    const plan = planPublish(last, rows);
    if (plan.kind === 'forked') {
      throw new CalendarError(
        'FORKED',
        `round ${plan.round} on ${options.subject} is not this database's round`,
      );
    }
    if (plan.kind !== 'publish') return { published, plan: plan.kind };
    let expect = plan.expectLastSequence;
    for (const row of plan.rows) {
      const ack = await publishRow(options, row, expect);
      if (ack === undefined) break; // fenced: someone else published; plan again from the stream
      await markPublished(client, row.round);
      expect = ack;
      published++;
    }
    if (plan.rows.length < batch) return { published, plan: 'publish' };
  }
}

/** The stream sequence of the published row, or undefined when the publish was fenced. */
async function publishRow(
  options: OutboxPublisherOptions,
  row: { round: number; payload: Uint8Array },
  expectLastSubjectSequence: number,
): Promise<number | undefined> {
  try {
    const ack = await publishDurable(options.js, options.subject, row.payload, {
      msgID: `round-${row.round}`,
      expectLastSubjectSequence,
      timeoutMs: options.publishTimeoutMs,
      attempts: 3,
      ...withHeaders(options.headersOf?.(row.round)),
    });
    return ack.seq;
  } catch (error: unknown) {
    if (error instanceof PublishError && error.code === 'FENCED') return undefined;
    throw error;
  }
}

const withHeaders = (headers: MsgHdrs | undefined) => (headers === undefined ? {} : { headers });
