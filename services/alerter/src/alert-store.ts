import type { Severity } from '@msi/policy';
import {
  type Pool,
  type PoolClient,
  toBytesList,
  toOptionalSafeInteger,
  toSafeInteger,
  toText,
} from '@msi/postgres';
import {
  type Alert,
  type AlertCandidate,
  type AlertCategory,
  type AlertStatus,
  alertIdOf,
  MAX_ALERT_EVENT_IDS,
} from './alert.js';
import { ALERT_CHANNEL, ALERT_SEQUENCE_LOCK_KEY, SCHEMA } from './schema.js';
import { storableRecord, storableText } from './storable-text.js';

type Queryable = Pool | PoolClient;

/** What raising a candidate did: a new alert, or one more occurrence of an open one. */
export interface Raised {
  readonly alert: Alert;
  readonly created: boolean;
}

const COLUMNS = `sequence, alert_id, rule, severity, category, tenant, message, dedupe_key, event_ids,
  anchored_round, first_seen_us, last_seen_us, occurrences, status, acknowledged_by, acknowledged_at_us,
  acknowledge_note, details, policy_digest`;

// biome-ignore lint/suspicious/noExplicitAny: a pg row
export function alertFromRow(row: any): Alert {
  return {
    sequence: toSafeInteger(row.sequence, 'sequence'),
    alertId: toText(row.alert_id, 'alert_id'),
    rule: toText(row.rule, 'rule'),
    severity: row.severity as Severity,
    category: row.category as AlertCategory,
    tenant: toText(row.tenant, 'tenant'),
    message: toText(row.message, 'message'),
    dedupeKey: toText(row.dedupe_key, 'dedupe_key'),
    eventIds: toBytesList(row.event_ids, 'event_ids'),
    anchoredRound: toOptionalSafeInteger(row.anchored_round, 'anchored_round'),
    firstSeenUs: toSafeInteger(row.first_seen_us, 'first_seen_us'),
    lastSeenUs: toSafeInteger(row.last_seen_us, 'last_seen_us'),
    occurrences: toSafeInteger(row.occurrences, 'occurrences'),
    status: row.status as AlertStatus,
    acknowledgedBy: toText(row.acknowledged_by, 'acknowledged_by'),
    acknowledgedAtUs: toSafeInteger(row.acknowledged_at_us, 'acknowledged_at_us'),
    acknowledgeNote: toText(row.acknowledge_note, 'acknowledge_note'),
    details: row.details as Record<string, string>,
    policyDigest: toText(row.policy_digest, 'policy_digest'),
  };
}

/**
 * Raises an alert inside the caller's transaction: when an OPEN alert with the same dedupe key was
 * last seen within the candidate's window (in the candidates' own time, so a replay decides the
 * same), it counts one more occurrence; otherwise a new alert gets the next sequence. Alert inserts
 * are serialised by a transaction-scoped advisory lock, so sequences commit in order (WatchAlerts
 * relies on it) and a NOTIFY on ALERT_CHANNEL announces it at commit.
 */
export async function raiseAlert(client: PoolClient, raised: AlertCandidate): Promise<Raised> {
  // Its id from what the rule saw; its text as Postgres can store it (U+0000 would fail every retry).
  const alertId = alertIdOf(raised);
  const candidate: AlertCandidate = {
    ...raised,
    message: storableText(raised.message),
    dedupeKey: storableText(raised.dedupeKey),
    details: storableRecord(raised.details),
  };
  await client.query('SELECT pg_advisory_xact_lock($1::int8)', [ALERT_SEQUENCE_LOCK_KEY]);
  const open = await client.query(
    `SELECT ${COLUMNS} FROM ${SCHEMA}.alerts
     WHERE dedupe_key = $1::text AND status = 'open' AND last_seen_us >= $2::int8
     ORDER BY sequence DESC LIMIT 1`,
    [candidate.dedupeKey, candidate.atUs - candidate.dedupeWindowUs],
  );
  if (open.rows.length > 0) {
    const ids = candidate.eventIds.map((id) => Buffer.from(id));
    const { rows } = await client.query(
      `UPDATE ${SCHEMA}.alerts SET
         occurrences = occurrences + 1,
         last_seen_us = greatest(last_seen_us, $2::int8),
         event_ids = CASE WHEN cardinality(event_ids) + cardinality($3::bytea[]) <= $4::int4
                          THEN event_ids || $3::bytea[] ELSE event_ids END
       WHERE sequence = $1::int8 RETURNING ${COLUMNS}`,
      [open.rows[0].sequence, candidate.atUs, ids, MAX_ALERT_EVENT_IDS],
    );
    return { alert: alertFromRow(rows[0]), created: false };
  }
  const { rows } = await client.query(
    `INSERT INTO ${SCHEMA}.alerts (sequence, alert_id, rule, severity, category, tenant, message, dedupe_key,
       event_ids, anchored_round, first_seen_us, last_seen_us, occurrences, status, details, policy_digest)
     SELECT coalesce(max(sequence), 0) + 1, $1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::text,
       $8::bytea[], $9::int8, $10::int8, $10::int8, 1, 'open', $11::jsonb, $12::text
     FROM ${SCHEMA}.alerts
     ON CONFLICT (alert_id) DO NOTHING
     RETURNING ${COLUMNS}`,
    [
      alertId,
      candidate.rule,
      candidate.severity,
      candidate.category,
      candidate.tenant,
      candidate.message,
      candidate.dedupeKey,
      candidate.eventIds.slice(0, MAX_ALERT_EVENT_IDS).map((id) => Buffer.from(id)),
      candidate.anchoredRound ?? null,
      candidate.atUs,
      JSON.stringify(candidate.details),
      candidate.policyDigest,
    ],
  );
  if (rows.length === 0) {
    // The same occurrence raised before (a replayed message): nothing new.
    const existing = await client.query(`SELECT ${COLUMNS} FROM ${SCHEMA}.alerts WHERE alert_id = $1::text`, [
      alertId,
    ]);
    return { alert: alertFromRow(existing.rows[0]), created: false };
  }
  const alert = alertFromRow(rows[0]);
  await client.query('SELECT pg_notify($1::text, $2::text)', [ALERT_CHANNEL, String(alert.sequence)]);
  return { alert, created: true };
}

/** Records the round of the alerts first triggered by these events (stateless alerts, once anchored). */
export async function markAnchored(
  client: PoolClient,
  eventIds: readonly Uint8Array[],
  round: number,
): Promise<void> {
  if (eventIds.length === 0) return;
  await client.query(
    `UPDATE ${SCHEMA}.alerts SET anchored_round = $2::int8
     WHERE anchored_round IS NULL AND event_ids[1] = ANY($1::bytea[])`,
    [eventIds.map((id) => Buffer.from(id)), round],
  );
}

/** Filters of ListAlerts / WatchAlerts in domain form; undefined fields do not filter. */
export interface AlertQuery {
  /** Only these tenants' alerts (an auditor's own tenant); undefined = all. */
  readonly tenants?: readonly string[];
  readonly minSeverityRank?: number;
  readonly category?: AlertCategory;
  readonly rule?: string;
  readonly status?: AlertStatus;
}

const RANK_SQL = `CASE severity WHEN 'low' THEN 1 WHEN 'medium' THEN 2 WHEN 'high' THEN 3 ELSE 4 END`;

function where(query: AlertQuery, params: unknown[]): string {
  const clauses: string[] = [];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    clauses.push(sql.replace('?', `$${params.length}`));
  };
  if (query.tenants !== undefined) add('tenant = ANY(?::text[])', query.tenants);
  if (query.minSeverityRank !== undefined) add(`${RANK_SQL} >= ?::int4`, query.minSeverityRank);
  if (query.category !== undefined) add('category = ?::text', query.category);
  if (query.rule !== undefined) add('rule = ?::text', query.rule);
  if (query.status !== undefined) add('status = ?::text', query.status);
  return clauses.length === 0 ? 'true' : clauses.join(' AND ');
}

/** Newest first, sequences below `before` (0 = from the newest). */
export async function listAlerts(
  db: Queryable,
  query: AlertQuery,
  before: number,
  limit: number,
): Promise<Alert[]> {
  const params: unknown[] = [];
  const filter = where(query, params);
  params.push(before === 0 ? Number.MAX_SAFE_INTEGER : before, limit);
  const { rows } = await db.query(
    `SELECT ${COLUMNS} FROM ${SCHEMA}.alerts WHERE ${filter} AND sequence < $${params.length - 1}::int8
     ORDER BY sequence DESC LIMIT $${params.length}::int8`,
    params,
  );
  return rows.map(alertFromRow);
}

/** Oldest first, sequences above `after`. */
export async function alertsAfter(
  db: Queryable,
  query: AlertQuery,
  after: number,
  limit: number,
): Promise<Alert[]> {
  const params: unknown[] = [];
  const filter = where(query, params);
  params.push(after, limit);
  const { rows } = await db.query(
    `SELECT ${COLUMNS} FROM ${SCHEMA}.alerts WHERE ${filter} AND sequence > $${params.length - 1}::int8
     ORDER BY sequence LIMIT $${params.length}::int8`,
    params,
  );
  return rows.map(alertFromRow);
}

/** The newest sequence (0 when there is no alert). */
export async function lastSequence(db: Queryable): Promise<number> {
  const { rows } = await db.query(`SELECT coalesce(max(sequence), 0) AS s FROM ${SCHEMA}.alerts`);
  return toSafeInteger(rows[0].s, 's');
}

export async function alertById(db: Queryable, alertId: string): Promise<Alert | undefined> {
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM ${SCHEMA}.alerts WHERE alert_id = $1::text`, [
    alertId,
  ]);
  return rows.length === 0 ? undefined : alertFromRow(rows[0]);
}

/** Acknowledges an open alert (the first acknowledgement wins); returns the alert as stored. */
export async function acknowledgeAlert(
  db: Queryable,
  alertId: string,
  by: string,
  note: string,
  atUs: number,
): Promise<Alert | undefined> {
  await db.query(
    `UPDATE ${SCHEMA}.alerts SET status = 'acknowledged', acknowledged_by = $2::text, acknowledged_at_us = $3::int8,
       acknowledge_note = $4::text
     WHERE alert_id = $1::text AND status = 'open'`,
    [alertId, by, atUs, note],
  );
  return alertById(db, alertId);
}

/** Counts of open alerts by severity (the status line and the metrics). */
export async function openCounts(db: Queryable): Promise<Record<Severity, number>> {
  const { rows } = await db.query(
    `SELECT severity, count(*) AS n FROM ${SCHEMA}.alerts WHERE status = 'open' GROUP BY severity`,
  );
  const out: Record<Severity, number> = { low: 0, medium: 0, high: 0, critical: 0 };
  for (const row of rows) out[row.severity as Severity] = toSafeInteger(row.n, 'n');
  return out;
}
