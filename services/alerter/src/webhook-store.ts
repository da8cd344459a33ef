import { CodedError } from '@msi/core';
import type { Pool, PoolClient } from '@msi/postgres';

/**
 * The webhook delivery queue in Postgres: one row per (alert, webhook). Times come from the database
 * clock only, so several alerter instances with skewed clocks agree on what is due.
 *
 * Life of a row: `pending` (attempts 0, due now) → claimed (attempts + 1, leased until the lease ends)
 * → `delivered`, or `pending` again with `next_attempt_at` after the backoff, or `failed` (gave up).
 * A claim that is never settled (the instance died) becomes due again when its lease ends, as the
 * next attempt: an attempt number is sent at most once.
 */
export type DeliveryState = 'pending' | 'delivered' | 'failed';

/** Why a store call was refused before reaching the database. */
export type WebhookStoreErrorCode = 'BAD_SCHEMA' | 'BAD_ARGUMENT';

export class WebhookStoreError extends CodedError<WebhookStoreErrorCode> {
  override readonly name = 'WebhookStoreError';
}

/** A delivery to add in the alert's transaction. `body` is the exact JSON text POSTed on every attempt. */
export interface NewDelivery {
  readonly alertId: string;
  readonly webhook: string;
  readonly url: string;
  readonly body: string;
}

/** A claimed delivery: `attempt` (1-based) is the number this POST is sent as. */
export interface ClaimedDelivery extends NewDelivery {
  readonly attempt: number;
}

/** The settlement of a failed attempt. */
export interface FailedAttempt {
  readonly alertId: string;
  readonly webhook: string;
  /** The attempt number the claim returned; a settlement for an older attempt is ignored. */
  readonly attempt: number;
  /** The HTTP status when a response arrived. */
  readonly status: number | undefined;
  readonly error: string;
  /** Delay before the next attempt, or `'give-up'` to mark the row `failed`. */
  readonly retryInMs: number | 'give-up';
}

/** Number of rows in each state. */
export type DeliveryStats = Record<DeliveryState, number>;

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** The schema is interpolated into SQL: only plain lower-case identifiers are accepted. */
function table(schema: string): string {
  if (!IDENTIFIER.test(schema)) {
    throw new WebhookStoreError('BAD_SCHEMA', `schema ${JSON.stringify(schema)} is not a plain identifier`);
  }
  return `${schema}.webhook_deliveries`;
}

/** DDL of the delivery queue (for one migration of the alerter's schema, which must already exist). */
export function webhookTablesSql(schema: string): string {
  const t = table(schema);
  return `
CREATE TABLE ${t} (
  alert_id text NOT NULL,
  webhook text NOT NULL,
  url text NOT NULL,
  body text NOT NULL,
  state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
  attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_status integer,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz,
  PRIMARY KEY (alert_id, webhook)
);
CREATE INDEX webhook_deliveries_due ON ${t} (state, next_attempt_at);`;
}

/**
 * Adds a pending delivery, due now, inside the caller's transaction (the one storing the alert).
 * A replay of the same (alert, webhook) changes nothing. Returns whether a row was added.
 */
export async function enqueueDelivery(client: PoolClient, schema: string, d: NewDelivery): Promise<boolean> {
  const result = await client.query(
    `INSERT INTO ${table(schema)} (alert_id, webhook, url, body) VALUES ($1::text, $2::text, $3::text, $4::text)
     ON CONFLICT (alert_id, webhook) DO NOTHING`,
    [d.alertId, d.webhook, d.url, d.body],
  );
  return result.rowCount === 1;
}

/**
 * Claims up to `limit` due pending rows: each gets its next attempt number and is leased for `leaseMs`
 * (not due again before then). Rows locked by a concurrent claim are skipped, so several instances
 * never claim the same attempt. The lease must outlast a POST plus its settlement.
 */
export async function claimDue(
  pool: Pool,
  schema: string,
  limit: number,
  leaseMs: number,
): Promise<ClaimedDelivery[]> {
  positiveInteger('limit', limit);
  positiveInteger('leaseMs', leaseMs);
  const t = table(schema);
  const result = await pool.query<{
    alert_id: string;
    webhook: string;
    url: string;
    body: string;
    attempts: number;
  }>(
    `WITH due AS (
       SELECT alert_id, webhook FROM ${t}
       WHERE state = 'pending' AND next_attempt_at <= now()
       ORDER BY next_attempt_at
       LIMIT $1::int4
       FOR UPDATE SKIP LOCKED
     )
     UPDATE ${t} d SET attempts = d.attempts + 1, next_attempt_at = now() + $2::double precision * interval '1 millisecond'
     FROM due WHERE d.alert_id = due.alert_id AND d.webhook = due.webhook
     RETURNING d.alert_id, d.webhook, d.url, d.body, d.attempts`,
    [limit, leaseMs],
  );
  return result.rows.map((r) => ({
    alertId: r.alert_id,
    webhook: r.webhook,
    url: r.url,
    body: r.body,
    attempt: r.attempts,
  }));
}

/**
 * Records a 2xx answer to `attempt`. A success is the receiver's word, so it stands even when a later
 * attempt was claimed meanwhile. Returns false when the row was already delivered.
 */
export async function markDelivered(
  pool: Pool,
  schema: string,
  d: { readonly alertId: string; readonly webhook: string; readonly status: number },
): Promise<boolean> {
  const result = await pool.query(
    `UPDATE ${table(schema)}
     SET state = 'delivered', delivered_at = now(), last_status = $3::int4, last_error = NULL
     WHERE alert_id = $1::text AND webhook = $2::text AND state <> 'delivered'`,
    [d.alertId, d.webhook, d.status],
  );
  return result.rowCount === 1;
}

/**
 * Records a failed attempt: due again after `retryInMs`, or `failed` for good. Ignored (returns false)
 * when the row has moved on: a later attempt was claimed, or it was settled already.
 */
export async function markFailedAttempt(pool: Pool, schema: string, f: FailedAttempt): Promise<boolean> {
  const retryInMs = f.retryInMs === 'give-up' ? undefined : f.retryInMs;
  if (retryInMs !== undefined) nonNegative('retryInMs', retryInMs);
  const result = await pool.query(
    `UPDATE ${table(schema)}
     SET last_status = $4::int4, last_error = $5::text,
         state = CASE WHEN $6::double precision IS NULL THEN 'failed' ELSE 'pending' END,
         next_attempt_at = CASE WHEN $6::double precision IS NULL THEN next_attempt_at
                                ELSE now() + $6::double precision * interval '1 millisecond' END
     WHERE alert_id = $1::text AND webhook = $2::text AND attempts = $3::int4 AND state = 'pending'`,
    [f.alertId, f.webhook, f.attempt, f.status ?? null, f.error, retryInMs ?? null],
  );
  return result.rowCount === 1;
}

/**
 * Milliseconds until the earliest pending row is due (0 when one is due now), or undefined when none is
 * pending. Leased rows count with their lease end.
 */
export async function msUntilNextDue(pool: Pool, schema: string): Promise<number | undefined> {
  // Not greatest(0, …) in SQL: GREATEST skips NULLs, so an empty queue would read as "due now" and
  // the deliverer would poll without pause.
  const result = await pool.query<{ ms: number | null }>(
    `SELECT (extract(epoch FROM min(next_attempt_at) - clock_timestamp()) * 1000)::double precision AS ms
     FROM ${table(schema)} WHERE state = 'pending'`,
  );
  const ms = result.rows[0]?.ms;
  return ms === null || ms === undefined ? undefined : Math.max(0, ms);
}

/** The number of rows in each state (0 for a state with none). */
export async function deliveryStats(pool: Pool, schema: string): Promise<DeliveryStats> {
  const result = await pool.query<{ state: DeliveryState; n: number }>(
    `SELECT state, count(*)::integer AS n FROM ${table(schema)} GROUP BY state`,
  );
  const stats: DeliveryStats = { pending: 0, delivered: 0, failed: 0 };
  for (const row of result.rows) stats[row.state] = row.n;
  return stats;
}

function positiveInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new WebhookStoreError('BAD_ARGUMENT', `${name} must be a positive integer, got ${value}`);
  }
}

function nonNegative(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new WebhookStoreError('BAD_ARGUMENT', `${name} must be a finite number >= 0, got ${value}`);
  }
}
