import {
  bytesEqual,
  FollowerError,
  packCompactRange,
  type RoundRecord,
  type RoundSeal,
  type TreeNode,
  unpackCompactRange,
} from '@msi/core';
import { type CompactRange, compactRangeNodes, type MerkleHasher } from '@msi/merkle';
import {
  inTransaction,
  migrate,
  param,
  type Queryable,
  toBytes,
  toSafeInteger,
  withAdvisoryLock,
} from '@msi/postgres';
import type pg from 'pg';
import { CalendarError } from './calendar-error.js';
import { fetchNodes } from './calendar-nodes.js';
import { type CalendarState, emptyState } from './calendar-state.js';
import { appRoleStatements, MIGRATION_LOCK_KEY, MIGRATIONS, MIGRATIONS_TABLE, SCHEMA } from './schema.js';
import { decideLease, type LeaseDecision, type WriterLease } from './writer-lease.js';

/** What calendar_meta records: fixed when the calendar is created. */
export interface CalendarMeta {
  readonly origin: string;
  readonly intervalMs: number;
  readonly verifierKey: string;
}

const PREPARE_LOCK_KEY = MIGRATION_LOCK_KEY + 1;

/**
 * Prepares the database as its owner, at every start: creates the schema, applies pending migrations,
 * grants the application role `appRole` its privileges (skipped when it is the owner itself), and
 * records `meta` for a new calendar. Refuses (META_MISMATCH) a database created with another interval,
 * origin or key: the round length is fixed when a calendar is created.
 */
export async function prepareDatabase(owner: pg.Pool, appRole: string, meta: CalendarMeta): Promise<void> {
  await withAdvisoryLock(owner, PREPARE_LOCK_KEY, async (client) => {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${SCHEMA}`);
  });
  await migrate(owner, MIGRATIONS, { table: MIGRATIONS_TABLE, lockKey: MIGRATION_LOCK_KEY });
  await withAdvisoryLock(owner, PREPARE_LOCK_KEY, async (client) => {
    const { rows } = await client.query<{ me: string }>('SELECT current_user AS me');
    if (rows[0]?.me !== appRole)
      for (const statement of appRoleStatements(appRole)) await client.query(statement);
    await client.query(
      `INSERT INTO ${SCHEMA}.calendar_meta (origin, interval_ms, verifier_key) VALUES ($1, $2, $3)
       ON CONFLICT (id) DO NOTHING`,
      [meta.origin, meta.intervalMs, meta.verifierKey],
    );
  });
  const stored = await readMeta(owner);
  if (stored === undefined) throw new CalendarError('STATE_CORRUPT', 'calendar_meta has no row');
  checkMeta(stored, meta);
}

/** Throws META_MISMATCH unless the stored identity is the configured one. */
export function checkMeta(stored: CalendarMeta, configured: CalendarMeta): void {
  if (stored.intervalMs !== configured.intervalMs) {
    throw new CalendarError(
      'META_MISMATCH',
      `this calendar was created with rounds of ${stored.intervalMs} ms; MSI_ROUND_INTERVAL_MS is ${configured.intervalMs}`,
    );
  }
  if (stored.origin !== configured.origin || stored.verifierKey !== configured.verifierKey) {
    throw new CalendarError(
      'META_MISMATCH',
      `this calendar signs as ${stored.verifierKey}; the configured key is ${configured.verifierKey}`,
    );
  }
}

export async function readMeta(db: Queryable): Promise<CalendarMeta | undefined> {
  const { rows } = await db.query(`SELECT origin, interval_ms, verifier_key FROM ${SCHEMA}.calendar_meta`);
  const row = rows[0];
  if (row === undefined) return undefined;
  return {
    origin: String(row.origin),
    intervalMs: toSafeInteger(row.interval_ms, 'interval_ms'),
    verifierKey: String(row.verifier_key),
  };
}

/** The writer lease and the database's clock (ms since the epoch), read without locking. */
export async function readLease(db: Queryable): Promise<WriterLease & { readonly nowMs: number }> {
  const { rows } = await db.query(
    `SELECT owner, lease_until_ms, (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS now_ms
     FROM ${SCHEMA}.calendar_writer`,
  );
  const row = rows[0];
  if (row === undefined) throw new CalendarError('STATE_CORRUPT', 'calendar_writer has no row');
  return {
    owner: row.owner === null ? null : String(row.owner),
    leaseUntilMs: toSafeInteger(row.lease_until_ms, 'lease_until_ms'),
    nowMs: toSafeInteger(row.now_ms, 'now_ms'),
  };
}

/**
 * The calendar's state from the writer row and the last round. Throws STATE_CORRUPT when the stored
 * compact range does not give the stored root.
 */
export async function loadState(db: Queryable, hasher: MerkleHasher): Promise<CalendarState> {
  const { rows } = await db.query(
    `SELECT w.size, w.root, w.range_hashes, r.closed_at_us, r.seals_end
     FROM ${SCHEMA}.calendar_writer w LEFT JOIN ${SCHEMA}.rounds r ON r.k = w.size - 1`,
  );
  const row = rows[0];
  if (row === undefined) throw new CalendarError('STATE_CORRUPT', 'calendar_writer has no row');
  const size = toSafeInteger(row.size, 'size');
  if (size === 0) return emptyState(hasher);
  if (row.closed_at_us === null) throw new CalendarError('STATE_CORRUPT', `round ${size - 1} is missing`);
  let range: CompactRange;
  try {
    range = unpackCompactRange(hasher, size, toBytes(row.range_hashes, 'range_hashes'));
  } catch (error: unknown) {
    if (error instanceof FollowerError) {
      throw new CalendarError('STATE_CORRUPT', `stored compact range: ${error.message}`, { cause: error });
    }
    throw error;
  }
  const root = toBytes(row.root, 'root');
  if (!bytesEqual(range.root(), root)) {
    throw new CalendarError(
      'STATE_CORRUPT',
      `stored compact range does not give the stored root of size ${size}`,
    );
  }
  return {
    size,
    root,
    range,
    lastClosedAt: toSafeInteger(row.closed_at_us, 'closed_at_us'),
    sealsEnd: toSafeInteger(row.seals_end, 'seals_end'),
  };
}

/** Throws STATE_CORRUPT unless the nodes table holds the state's compact range (checked at start). */
export async function checkStoredTree(db: Queryable, state: CalendarState): Promise<void> {
  const stored = await fetchNodes(db, compactRangeNodes(state.size));
  const hashes = state.range.hashes();
  if (
    stored.length !== hashes.length ||
    stored.some((hash, i) => !bytesEqual(hash, hashes[i] ?? new Uint8Array()))
  ) {
    throw new CalendarError(
      'STATE_CORRUPT',
      `calendar_nodes disagree with the compact range of size ${state.size}`,
    );
  }
}

/** The seals among `pairs` that earlier rounds already cover, as sealKey strings. */
export async function anchoredSeals(
  db: Queryable,
  pairs: readonly { shard: number; sealNumber: number }[],
): Promise<Set<string>> {
  if (pairs.length === 0) return new Set();
  const { rows } = await db.query(
    `SELECT s.shard, s.seal_number FROM ${SCHEMA}.round_seals s
     JOIN unnest($1::bigint[], $2::bigint[]) AS p(shard, seal_number)
       ON s.shard = p.shard AND s.seal_number = p.seal_number`,
    [pairs.map((p) => p.shard), pairs.map((p) => p.sealNumber)],
  );
  return new Set(
    rows.map(
      (row) => `${toSafeInteger(row.shard, 'shard')}/${toSafeInteger(row.seal_number, 'seal_number')}`,
    ),
  );
}

/** The root the database holds for the calendar of `size` rounds, if it has that size. */
export async function storedRootAt(db: Queryable, size: number): Promise<Uint8Array | undefined> {
  if (size === 0) return undefined;
  const { rows } = await db.query(`SELECT root FROM ${SCHEMA}.checkpoints WHERE size = $1`, [size]);
  return rows[0] === undefined ? undefined : toBytes(rows[0].root, 'root');
}

/** One round to append, with everything the transaction writes. */
export interface AppendInput {
  /** This calendar instance (the lease owner it writes). */
  readonly instanceId: string;
  readonly leaseMs: number;
  /** The state the round was built on; the writer row must still hold its size and root. */
  readonly previous: CalendarState;
  /** The state after the append. */
  readonly next: CalendarState;
  readonly record: RoundRecord;
  readonly recordBytes: Uint8Array;
  readonly leafHash: Uint8Array;
  /** The covered seals in (shard, seal_number) order. */
  readonly seals: readonly RoundSeal[];
  /** The tree nodes this append completed. */
  readonly nodes: readonly TreeNode[];
  /** The signed checkpoint of size next.size. */
  readonly note: string;
  readonly outbox: { readonly subject: string; readonly msgId: string; readonly payload: Uint8Array };
  /** True for a round replayed from `<prefix>.rounds` (its outbox row is marked published). */
  readonly replayed: boolean;
}

/**
 * Appends one round in ONE transaction: locks the writer row, checks the lease (LEASE_HELD when
 * another instance holds it) and that the row still holds `previous` (STATE_CHANGED otherwise), then
 * inserts the round, its seals, the completed nodes, the checkpoint and the outbox row, and moves the
 * writer row (renewing the lease). Returns the lease decision that let it append.
 */
export async function appendRound(pool: pg.Pool, input: AppendInput): Promise<LeaseDecision> {
  return inTransaction(pool, async (client) => {
    const { rows } = await client.query(
      `SELECT size, root, owner, lease_until_ms, (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS now_ms
       FROM ${SCHEMA}.calendar_writer FOR UPDATE`,
    );
    const row = rows[0];
    if (row === undefined) throw new CalendarError('STATE_CORRUPT', 'calendar_writer has no row');
    const lease = {
      owner: row.owner === null ? null : String(row.owner),
      leaseUntilMs: toSafeInteger(row.lease_until_ms, 'lease_until_ms'),
    };
    const decision = decideLease(lease, input.instanceId, toSafeInteger(row.now_ms, 'now_ms'), input.leaseMs);
    if (decision.kind === 'held') {
      throw new CalendarError('LEASE_HELD', `the writer lease is held by ${decision.owner}`);
    }
    const size = toSafeInteger(row.size, 'size');
    if (size !== input.previous.size || !bytesEqual(toBytes(row.root, 'root'), input.previous.root)) {
      throw new CalendarError(
        'STATE_CHANGED',
        `the calendar is at size ${size}, this process expected ${input.previous.size}`,
      );
    }
    await insertRound(client, input);
    await client.query(
      `UPDATE ${SCHEMA}.calendar_writer
       SET size = $1, root = $2, range_hashes = $3, owner = $4, lease_until_ms = $5, updated_at = now()`,
      [
        input.next.size,
        param(input.next.root),
        param(packCompactRange(input.next.range)),
        decision.lease.owner,
        decision.lease.leaseUntilMs,
      ],
    );
    return decision;
  });
}

async function insertRound(client: pg.PoolClient, input: AppendInput): Promise<void> {
  const { record } = input;
  const k = record.round;
  await client.query(
    `INSERT INTO ${SCHEMA}.rounds (k, previous, record, leaf_hash, closed_at_us, seals_start, seals_end,
       seal_count, root, writer, replayed)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [
      k,
      k === 0 ? null : k - 1,
      param(input.recordBytes),
      param(input.leafHash),
      record.closedAt,
      record.sealsStart,
      record.sealsEnd,
      record.sealCount,
      param(record.root),
      input.instanceId,
      input.replayed,
    ],
  );
  if (input.seals.length > 0) {
    await client.query(
      `INSERT INTO ${SCHEMA}.round_seals (k, position, shard, seal_number, record)
       SELECT $1, p.position, p.shard, p.seal_number, p.record
       FROM unnest($2::int[], $3::bigint[], $4::bigint[], $5::bytea[]) AS p(position, shard, seal_number, record)`,
      [
        k,
        input.seals.map((_, i) => i),
        input.seals.map((s) => s.record.shard),
        input.seals.map((s) => s.record.sealNumber),
        input.seals.map((s) => param(s.bytes)),
      ],
    );
  }
  await client.query(
    `INSERT INTO ${SCHEMA}.calendar_nodes (level, idx, hash)
     SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[])`,
    [input.nodes.map((n) => n.level), input.nodes.map((n) => n.index), input.nodes.map((n) => param(n.hash))],
  );
  await client.query(
    `INSERT INTO ${SCHEMA}.checkpoints (size, last_round, root, note) VALUES ($1, $2, $3, $4)`,
    [input.next.size, k, param(input.next.root), input.note],
  );
  await client.query(
    `INSERT INTO ${SCHEMA}.outbox (k, subject, msg_id, payload, published_at)
     VALUES ($1, $2, $3, $4, CASE WHEN $5::boolean THEN now() END)`,
    [k, input.outbox.subject, input.outbox.msgId, param(input.outbox.payload), input.replayed],
  );
}

/** Outbox rows from round `fromRound` on, in round order (at most `limit`). */
export async function outboxFrom(
  db: Queryable,
  fromRound: number,
  limit: number,
): Promise<{ round: number; subject: string; msgId: string; payload: Uint8Array }[]> {
  const { rows } = await db.query(
    `SELECT k, subject, msg_id, payload FROM ${SCHEMA}.outbox WHERE k >= $1 ORDER BY k LIMIT $2`,
    [fromRound, limit],
  );
  return rows.map((row) => ({
    round: toSafeInteger(row.k, 'k'),
    subject: String(row.subject),
    msgId: String(row.msg_id),
    payload: toBytes(row.payload, 'payload'),
  }));
}

/** Marks every outbox row up to round `throughRound` published (those still unmarked). */
export async function markPublished(db: Queryable, throughRound: number): Promise<number> {
  const result = await db.query(
    `UPDATE ${SCHEMA}.outbox SET published_at = now() WHERE k <= $1 AND published_at IS NULL`,
    [throughRound],
  );
  return result.rowCount ?? 0;
}

/** Outbox rows not yet marked published. */
export async function outboxLag(db: Queryable): Promise<number> {
  const { rows } = await db.query(`SELECT count(*) AS n FROM ${SCHEMA}.outbox WHERE published_at IS NULL`);
  return toSafeInteger(rows[0]?.n ?? 0, 'count');
}
