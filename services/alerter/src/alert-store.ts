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

/**
 * What raising a candidate did: it created an alert (as inserted), or it repeated one — one more
 * occurrence of an open alert, or a replayed occurrence already stored (nothing new).
 */
export type Raised =
  | { readonly created: true; readonly alert: Alert }
  | { readonly created: false; readonly repeated: RepeatedAlert };

/** The alert a candidate repeated: which, and whether it is still open. */
export interface RepeatedAlert {
  readonly alertId: string;
  readonly sequence: number;
  readonly rule: string;
  readonly dedupeKey: string;
  readonly status: AlertStatus;
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

/** One candidate as it will be stored: its id, and its text as Postgres can store it. */
interface Storable {
  readonly alertId: string;
  readonly candidate: AlertCandidate;
}

/**
 * An alert loaded or created by one raise (only what deciding needs: a storm's alerts are not read
 * whole), with what the raise adds to it.
 */
interface Tracked {
  readonly head: RepeatedAlert;
  lastSeenUs: number;
  eventIdCount: number;
  /** Occurrences this raise adds, the last-seen it raises the alert to, the event ids it appends. */
  added: number;
  addedEventIds: Uint8Array[];
  /** As inserted, when this raise created it. */
  inserted: Alert | undefined;
}

/** How a candidate was raised: it created `alert`, or counts against it (an open or a replayed one). */
interface Outcome {
  readonly tracked: Tracked;
  readonly created: boolean;
}

/** Rows per multi-row statement (at most 13 parameters each: 53,248, below Postgres's 65,535). */
const ROWS_PER_STATEMENT = 4096;

/**
 * Raises candidates in order inside the caller's transaction, as raising them one by one would:
 * when an OPEN alert with the candidate's dedupe key was last seen within its window (in the
 * candidates' own time, so a replay decides the same) it counts one more occurrence of the newest
 * such alert; otherwise, unless an alert with its id exists already (a replayed message: nothing
 * new), a new alert gets the next sequence. Alert inserts are serialised by a transaction-scoped
 * advisory lock, so sequences commit in order (WatchAlerts relies on it) and a NOTIFY on
 * ALERT_CHANNEL announces them at commit.
 *
 * The work is per call, not per candidate: one read of the open alerts the candidates could count
 * against, a second of the alerts they would repeat only for candidates no open alert covers
 * (alert ids are computed for those alone), decided in memory, then one insert and one update (a
 * storm of thousands of candidates from one message costs a handful of round trips). A created
 * alert is returned as it was inserted (what its webhooks and the outbox announce, even if
 * repeated later in the call).
 */
export async function raiseAlerts(client: PoolClient, raised: readonly AlertCandidate[]): Promise<Raised[]> {
  if (raised.length === 0) return [];
  const storable = raised.map(toStorable);
  await client.query('SELECT pg_advisory_xact_lock($1::int8)', [ALERT_SEQUENCE_LOCK_KEY]);
  const openByKey = new Map<string, Tracked[]>();
  const byId = new Map<string, Tracked>();
  const track = (loaded: readonly Tracked[]) => {
    for (const t of loaded) {
      if (byId.has(t.head.alertId)) continue;
      byId.set(t.head.alertId, t);
      if (t.head.status === 'open') pushTo(openByKey, t.head.dedupeKey, t);
    }
  };
  track(await loadOpen(client, storable));
  // A loaded alert covering a candidate covers it whatever comes before it in the call (last-seen
  // only grows), so only the others can fall through to their alert id.
  const uncovered = storable.filter((s) => openCovering(openByKey, s.candidate) === undefined);
  if (uncovered.length > 0) track(await loadByIds(client, [...new Set(uncovered.map((s) => s.alertId))]));
  let nextSequence: number | undefined;
  const created: { readonly s: Storable; readonly tracked: Tracked }[] = [];
  const outcomes: Outcome[] = [];
  for (const s of storable) {
    const { candidate } = s;
    const open = openCovering(openByKey, candidate);
    if (open !== undefined) {
      open.added += 1;
      open.lastSeenUs = Math.max(open.lastSeenUs, candidate.atUs);
      if (open.eventIdCount + candidate.eventIds.length <= MAX_ALERT_EVENT_IDS) {
        open.eventIdCount += candidate.eventIds.length;
        open.addedEventIds.push(...candidate.eventIds);
      }
      outcomes.push({ tracked: open, created: false });
      continue;
    }
    const existing = byId.get(s.alertId);
    if (existing !== undefined) {
      outcomes.push({ tracked: existing, created: false });
      continue;
    }
    nextSequence ??= await lastSequence(client);
    nextSequence += 1;
    const t: Tracked = {
      head: {
        alertId: s.alertId,
        sequence: nextSequence,
        rule: candidate.rule,
        dedupeKey: candidate.dedupeKey,
        status: 'open',
      },
      lastSeenUs: candidate.atUs,
      eventIdCount: Math.min(candidate.eventIds.length, MAX_ALERT_EVENT_IDS),
      added: 0,
      addedEventIds: [],
      inserted: undefined,
    };
    byId.set(s.alertId, t);
    pushTo(openByKey, t.head.dedupeKey, t);
    created.push({ s, tracked: t });
    outcomes.push({ tracked: t, created: true });
  }
  await insertCreated(client, created);
  await updateRepeated(
    client,
    [...byId.values()].filter((t) => t.added > 0),
  );
  if (created.length > 0) {
    const last = created[created.length - 1]?.tracked.head.sequence;
    await client.query('SELECT pg_notify($1::text, $2::text)', [ALERT_CHANNEL, String(last)]);
  }
  return outcomes.map(({ tracked: t, created: isNew }): Raised => {
    if (!isNew) return { created: false, repeated: t.head };
    if (t.inserted === undefined) throw new Error(`alert ${t.head.sequence} was not inserted`);
    return { created: true, alert: t.inserted };
  });
}

function toStorable(raised: AlertCandidate): Storable {
  // Its text as Postgres can store it (U+0000 would fail every retry); its id, from what the rule
  // saw, only when asked (a repetition of an open alert never needs it).
  const message = storableText(raised.message);
  const dedupeKey = storableText(raised.dedupeKey);
  const details = storableRecord(raised.details);
  const candidate =
    message === raised.message && dedupeKey === raised.dedupeKey && details === raised.details
      ? raised
      : { ...raised, message, dedupeKey, details };
  let alertId: string | undefined;
  return {
    get alertId() {
      alertId ??= alertIdOf(raised);
      return alertId;
    },
    candidate,
  };
}

/** The newest open alert with the candidate's dedupe key last seen within its window. */
function openCovering(
  openByKey: ReadonlyMap<string, Tracked[]>,
  candidate: AlertCandidate,
): Tracked | undefined {
  const since = candidate.atUs - candidate.dedupeWindowUs;
  let open: Tracked | undefined;
  for (const t of openByKey.get(candidate.dedupeKey) ?? []) {
    if (t.lastSeenUs >= since && (open === undefined || t.head.sequence > open.head.sequence)) open = t;
  }
  return open;
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

/** Every open alert a candidate could count against: its dedupe key, last seen within its window. */
async function loadOpen(client: PoolClient, storable: readonly Storable[]): Promise<Tracked[]> {
  const since = new Map<string, number>();
  for (const { candidate: c } of storable) {
    const at = c.atUs - c.dedupeWindowUs;
    since.set(c.dedupeKey, Math.min(since.get(c.dedupeKey) ?? at, at));
  }
  const { rows } = await client.query(
    `SELECT ${LIGHT} FROM ${SCHEMA}.alerts a
       JOIN unnest($1::text[], $2::int8[]) AS c(wanted_key, since)
         ON a.dedupe_key = c.wanted_key AND a.status = 'open' AND a.last_seen_us >= c.since`,
    [[...since.keys()], [...since.values()]],
  );
  return rows.map(trackedFromRow);
}

/** The stored alerts with these ids (a replayed occurrence, open or not). */
async function loadByIds(client: PoolClient, alertIds: readonly string[]): Promise<Tracked[]> {
  const { rows } = await client.query(
    `SELECT ${LIGHT} FROM ${SCHEMA}.alerts a WHERE a.alert_id = ANY($1::text[])`,
    [alertIds],
  );
  return rows.map(trackedFromRow);
}

// biome-ignore lint/suspicious/noExplicitAny: a pg row
function trackedFromRow(row: any): Tracked {
  return {
    head: {
      alertId: toText(row.alert_id, 'alert_id'),
      sequence: toSafeInteger(row.sequence, 'sequence'),
      rule: toText(row.rule, 'rule'),
      dedupeKey: toText(row.dedupe_key, 'dedupe_key'),
      status: row.status as AlertStatus,
    },
    lastSeenUs: toSafeInteger(row.last_seen_us, 'last_seen_us'),
    eventIdCount: toSafeInteger(row.event_id_count, 'event_id_count'),
    added: 0,
    addedEventIds: [],
    inserted: undefined,
  };
}

/** What deciding a raise reads of an alert. */
const LIGHT = `a.sequence, a.alert_id, a.rule, a.dedupe_key, a.status, a.last_seen_us,
  cardinality(a.event_ids) AS event_id_count`;

/** Inserts the created alerts as first raised (their repetitions in the same call come after). */
async function insertCreated(
  client: PoolClient,
  created: readonly { readonly s: Storable; readonly tracked: Tracked }[],
): Promise<void> {
  for (let from = 0; from < created.length; from += ROWS_PER_STATEMENT) {
    const chunk = created.slice(from, from + ROWS_PER_STATEMENT);
    const params: unknown[] = [];
    const values = chunk.map(({ s, tracked }) => {
      const c = s.candidate;
      const base = params.length;
      params.push(
        tracked.head.sequence,
        s.alertId,
        c.rule,
        c.severity,
        c.category,
        c.tenant,
        c.message,
        c.dedupeKey,
        c.eventIds.slice(0, MAX_ALERT_EVENT_IDS).map((id) => Buffer.from(id)),
        c.anchoredRound ?? null,
        c.atUs,
        JSON.stringify(c.details),
        c.policyDigest,
      );
      const p = (i: number) => `$${base + i}`;
      return `(${p(1)}::int8, ${p(2)}::text, ${p(3)}::text, ${p(4)}::text, ${p(5)}::text, ${p(6)}::text,
        ${p(7)}::text, ${p(8)}::text, ${p(9)}::bytea[], ${p(10)}::int8, ${p(11)}::int8, ${p(11)}::int8, 1, 'open',
        ${p(12)}::jsonb, ${p(13)}::text)`;
    });
    const { rows } = await client.query(
      `INSERT INTO ${SCHEMA}.alerts (sequence, alert_id, rule, severity, category, tenant, message, dedupe_key,
         event_ids, anchored_round, first_seen_us, last_seen_us, occurrences, status, details, policy_digest)
       VALUES ${values.join(',\n')}
       RETURNING ${COLUMNS}`,
      params,
    );
    const bySequence = new Map(rows.map((row) => [toSafeInteger(row.sequence, 'sequence'), row]));
    for (const { tracked } of chunk) {
      const row = bySequence.get(tracked.head.sequence);
      if (row !== undefined) tracked.inserted = alertFromRow(row);
    }
  }
}

/** Adds each alert's repetitions: occurrences, last seen, and the event ids that still fit. */
async function updateRepeated(client: PoolClient, repeated: readonly Tracked[]): Promise<void> {
  for (let from = 0; from < repeated.length; from += ROWS_PER_STATEMENT) {
    const chunk = repeated.slice(from, from + ROWS_PER_STATEMENT);
    const params: unknown[] = [];
    const values = chunk.map((t) => {
      const base = params.length;
      params.push(
        t.head.sequence,
        t.added,
        t.lastSeenUs,
        t.addedEventIds.map((id) => Buffer.from(id)),
      );
      return `($${base + 1}::int8, $${base + 2}::int8, $${base + 3}::int8, $${base + 4}::bytea[])`;
    });
    const { rowCount } = await client.query(
      `UPDATE ${SCHEMA}.alerts a SET
         occurrences = a.occurrences + r.added,
         last_seen_us = greatest(a.last_seen_us, r.last_seen_us),
         event_ids = a.event_ids || r.event_ids
       FROM (VALUES ${values.join(', ')}) AS r(sequence, added, last_seen_us, event_ids)
       WHERE a.sequence = r.sequence`,
      params,
    );
    if (rowCount !== chunk.length)
      throw new Error(`${chunk.length - (rowCount ?? 0)} repeated alerts vanished`);
  }
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
