import {
  decodeRound,
  emptyFollowerState,
  type FollowerState,
  packCompactRange,
  packFollowerState,
  type SealRecord,
  unpackCompactRange,
  unpackFollowerState,
} from '@msi/core';
import type { MerkleHasher } from '@msi/merkle';
import {
  BinaryCopyRows,
  copyIn,
  integerArray,
  migrate,
  PackedColumn,
  type Pool,
  type PoolClient,
  textDictionary,
  toBytes,
  toSafeInteger,
  toText,
} from '@msi/postgres';
import type { KnownSeal } from './checks.js';
import type { EventActors, EventRows } from './event-rows.js';
import type { Failure } from './integrity.js';
import type { CheckedPublication } from './publication-check.js';
import type { EventRow } from './receipt-store.js';
import type { RoundRows } from './round-apply.js';
import { MIGRATION_LOCK_KEY, MIGRATIONS, MIGRATIONS_TABLE, PROJECTION_TABLES, SCHEMA } from './schema.js';
import type { CoveredRow, SealApplied, SealedBatches } from './seal-apply.js';
import type { WitnessHead } from './witness-lines.js';

// Every statement of the projection: the appliers compute rows (pure), this module writes them —
// one multi-row statement per table and group of messages (INSERT … SELECT unnest(…), or for the
// event rows, the most numerous, a binary COPY).

type Db = Pool | PoolClient;

/** The cursor table the stream pumps advance (one row per stream). */
export const CURSOR_TABLE = `${SCHEMA}.cursors`;

/** Creates the schema and applies the migrations (idempotent). */
export async function prepareProjection(pool: Pool): Promise<void> {
  await pool.query(`CREATE SCHEMA IF NOT EXISTS ${SCHEMA}`);
  await migrate(pool, MIGRATIONS, { table: MIGRATIONS_TABLE, lockKey: MIGRATION_LOCK_KEY });
}

/** Drops the projection's schema. */
export async function dropSchema(pool: Pool): Promise<void> {
  await pool.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
}

/** A SHA-256 digest (hex) over every projection table's rows in key order. */
export async function projectionDigest(db: Pool): Promise<string> {
  const parts: string[] = [];
  for (const { name, key } of PROJECTION_TABLES) {
    const { rows } = await db.query(
      `SELECT encode(sha256(convert_to(coalesce(string_agg(t::text, E'\\n' ORDER BY ${key}), ''), 'UTF8')), 'hex') AS d
       FROM ${SCHEMA}.${name} t`,
    );
    parts.push(`${name}:${String(rows[0]?.d)}`);
  }
  return parts.join(' ');
}

/** The calendar as the projection followed it so far (core FollowerState). */
export async function loadFollower(db: Db, hasher: MerkleHasher): Promise<FollowerState> {
  const { rows } = await db.query(
    `SELECT s.size, s.range_hashes, s.origin, s.follower, r.record AS last_record
     FROM ${SCHEMA}.calendar_state s LEFT JOIN ${SCHEMA}.rounds r ON r.k = s.size - 1`,
  );
  const row = rows[0];
  return row.follower === null
    ? legacyFollower(hasher, row)
    : unpackFollowerState(hasher, toBytes(row.follower, 'follower'));
}

const COPY_EVENTS = `COPY ${SCHEMA}.events (stream_seq, position, shard, tenant, event_id, kind, data, to_tenant,
  received_at_us, canonical, leaf_hash, actor, submitter) FROM STDIN (FORMAT binary)`;
const COPY_IMPRINTS = `COPY ${SCHEMA}.event_imprints (imprint, role, stream_seq, position, received_at_us)
  FROM STDIN (FORMAT binary)`;
/** What a row takes in the COPY payload beside its canonical bytes (lengths, ids, hashes, names). */
const ROW_BYTES_BESIDE_CANONICAL = 200;

/**
 * Inserts a group's events and their input and output imprints: one binary COPY per table
 * (BinaryCopyRows). It cost Postgres ~4 µs less per event row than the INSERT … SELECT unnest(…)
 * it replaces (binary-copy.ts). No ON CONFLICT (COPY has none): the stream pump applies each message
 * once (its rows commit with the cursor, which only moves from where that pump started), so a row
 * already there is a fault, refused by the primary key and failing the group, which the pump then
 * retries from its cursor. ON CONFLICT DO NOTHING had made every row a speculative insertion, ~2 µs
 * more of Postgres' CPU per row (150,000 rows in groups of 250, three runs each, PG 15).
 */
export async function insertEvents(db: Db, rows: EventRows): Promise<void> {
  const count = rows.seq.length;
  if (count === 0) return;
  let canonicalBytes = 0;
  for (const length of rows.canonical.lengths) canonicalBytes += length;
  const events = new BinaryCopyRows(count * ROW_BYTES_BESIDE_CANONICAL + canonicalBytes);
  for (let i = 0; i < count; i++) {
    events
      .row(13)
      .int8(rows.seq[i] as number)
      .int4(rows.pos[i] as number)
      .int4(rows.shard[i] as number)
      .text(rows.tenant[i] as string)
      .bytes(rows.id.at(i) as Uint8Array)
      .int2(rows.kind[i] as number)
      .bytes(rows.data.at(i) as Uint8Array)
      .text(rows.to[i] as string)
      .int8(rows.received[i] as number)
      .bytes(rows.canonical.at(i) as Uint8Array)
      .bytes(rows.leaf.at(i) as Uint8Array)
      .text(rows.actor[i] as string)
      .text(rows.submitter[i] as string);
  }
  await copyIn(db, COPY_EVENTS, events);
  const i = rows.imprints;
  if (i.seq.length === 0) return;
  const imprints = new BinaryCopyRows(i.seq.length * 76);
  for (let k = 0; k < i.seq.length; k++) {
    imprints
      .row(5)
      .bytes(i.imprint.at(k) as Uint8Array)
      .text(i.role[k] as string)
      .int8(i.seq[k] as number)
      .int4(i.pos[k] as number)
      .int8(i.received[k] as number);
  }
  await copyIn(db, COPY_IMPRINTS, imprints);
}

/**
 * Sets the actor and submitter of stored event rows that have none (the backfill of rows projected
 * before migration 5; a row the projector wrote keeps its own).
 */
export async function fillEventActors(db: Db, actors: EventActors): Promise<void> {
  if (actors.seq.length === 0) return;
  const actor = textDictionary(actors.actor);
  const submitter = textDictionary(actors.submitter);
  await db.query({
    name: 'verifier_fill_event_actors',
    text: `UPDATE ${SCHEMA}.events e SET actor = ($1::text[])[t.actor], submitter = ($2::text[])[t.submitter]
       FROM unnest($3::int8[], $4::int4[], $5::int4[], $6::int4[]) AS t(seq, pos, actor, submitter)
       WHERE e.stream_seq = t.seq AND e.position = t.pos AND e.actor IS NULL`,
    values: [
      actor.values,
      submitter.values,
      integerArray(actors.seq),
      integerArray(actors.pos),
      actor.index,
      submitter.index,
    ],
  });
}

/**
 * For each seal, the events of its shard in its stream range, in stream then batch order (what its
 * tree is rebuilt from, and the rows of the leaves it anchors) — one query for the whole group.
 */
export async function coveredEvents(
  db: Db,
  seals: readonly Pick<SealRecord, 'shard' | 'streamStart' | 'streamEnd'>[],
): Promise<CoveredRow[][]> {
  const covered: CoveredRow[][] = seals.map(() => []);
  if (seals.length === 0) return covered;
  const { rows } = await db.query({
    name: 'verifier_covered_event_rows',
    text: `SELECT s.i, e.leaf_hash, e.received_at_us, e.event_id, e.stream_seq, e.position, e.tenant, e.canonical
       FROM unnest($1::int4[], $2::int8[], $3::int8[]) WITH ORDINALITY AS s(shard, start_seq, end_seq, i)
       JOIN ${SCHEMA}.events e ON e.shard = s.shard AND e.stream_seq >= s.start_seq AND e.stream_seq < s.end_seq
       ORDER BY s.i, e.stream_seq, e.position`,
    values: [seals.map((s) => s.shard), seals.map((s) => s.streamStart), seals.map((s) => s.streamEnd)],
  });
  for (const r of rows) {
    covered[toSafeInteger(r.i, 'i') - 1]?.push({
      leafHash: toBytes(r.leaf_hash, 'leaf_hash'),
      receivedAt: toSafeInteger(r.received_at_us, 'received_at_us'),
      eventId: toBytes(r.event_id, 'event_id'),
      streamSeq: toSafeInteger(r.stream_seq, 'stream_seq'),
      position: toSafeInteger(r.position, 'position'),
      tenant: toText(r.tenant, 'tenant'),
      canonical: toBytes(r.canonical, 'canonical'),
    });
  }
  return covered;
}

/** An event row as it became anchored in a verified seal (for the receipt cache's hot index). */
export interface SealedEvent {
  readonly eventId: Uint8Array;
  readonly row: EventRow;
}

/**
 * Inserts judged seals; for the verified ones, their tree levels and, per EventBatch message they
 * cover, its seal and first leaf (table sealed_batches; a message already in an earlier seal keeps
 * it: sealedBatchesOf lets the first seal of the group win, ON CONFLICT the earlier groups). Returns
 * the event rows that became sealed.
 */
export async function insertSeals(
  db: Db,
  seals: readonly SealApplied[],
  sealed: SealedBatches,
): Promise<SealedEvent[]> {
  if (seals.length === 0) return [];
  await db.query({
    name: 'verifier_insert_seals',
    text: `INSERT INTO ${SCHEMA}.seals (stream_seq, shard, seal_number, record, stream_start, stream_end,
         leaf_count, root, verified, detail, shard_map_version)
       SELECT * FROM unnest($1::int8[], $2::int8[], $3::int8[], $4::bytea[], $5::int8[], $6::int8[], $7::int8[],
         $8::bytea[], $9::bool[], $10::text[], $11::int8[]) ON CONFLICT DO NOTHING`,
    values: [
      seals.map((s) => s.seq),
      seals.map((s) => s.record.shard),
      seals.map((s) => s.record.sealNumber),
      seals.map((s) => Buffer.from(s.bytes)),
      seals.map((s) => s.record.streamStart),
      seals.map((s) => s.record.streamEnd),
      seals.map((s) => s.record.leafCount),
      seals.map((s) => Buffer.from(s.record.root)),
      seals.map((s) => s.leaves !== undefined),
      seals.map((s) => s.detail),
      seals.map((s) => s.shardMapVersion),
    ],
  });
  const verified = seals.filter((s) => s.leaves !== undefined);
  if (verified.length === 0) return [];
  // Level 0 only: the upper levels follow from the leaves (receipts rebuild the tree from them once
  // per seal); projections written before 2026-12-06 hold every level, of which level 0 is read.
  // The leaves go packed in one binary parameter (~140 KB a seal of 4,400 events), not as hex text.
  const leaves = new PackedColumn();
  for (const s of verified) leaves.push(s.leaves ?? new Uint8Array(0));
  await db.query({
    name: 'verifier_insert_seal_leaves_v2',
    text: `INSERT INTO ${SCHEMA}.seal_levels (seal_seq, level, hashes)
       SELECT t.seq, 0, substring($2::bytea FROM t.at FOR t.len)
       FROM unnest($1::int8[], $3::int[], $4::int[]) AS t(seq, at, len) ON CONFLICT DO NOTHING`,
    values: [integerArray(verified.map((s) => s.seq)), ...leaves.parameters()],
  });
  const b = sealed.batches;
  if (b.length === 0) return [];
  const { rows } = await db.query({
    name: 'verifier_insert_sealed_batches',
    text: `INSERT INTO ${SCHEMA}.sealed_batches (stream_seq, seal_seq, first_leaf, gaps)
       SELECT t.stream_seq, t.seal_seq, t.first_leaf, CASE WHEN t.gaps = '' THEN NULL ELSE t.gaps::int4[] END
       FROM unnest($1::int8[], $2::int8[], $3::int8[], $4::text[]) AS t(stream_seq, seal_seq, first_leaf, gaps)
       ON CONFLICT DO NOTHING RETURNING stream_seq`,
    values: [
      b.map((x) => x.streamSeq),
      b.map((x) => x.sealSeq),
      b.map((x) => x.firstLeaf),
      b.map((x) => (x.gaps.length === 0 ? '' : `{${x.gaps.join(',')}}`)),
    ],
  });
  const inserted = new Set(rows.map((r) => toSafeInteger(r.stream_seq, 'stream_seq')));
  return sealed.events.filter((e) => inserted.has(e.row.streamSeq));
}

/** The seals published at sequences [start, end) of the seal stream. */
export async function sealsInRange(db: Db, start: number, end: number): Promise<KnownSeal[]> {
  const { rows } = await db.query({
    name: 'verifier_seals_in_range',
    text: `SELECT stream_seq, record FROM ${SCHEMA}.seals WHERE stream_seq >= $1::int8 AND stream_seq < $2::int8`,
    values: [start, end],
  });
  return rows.map((r) => ({
    streamSeq: toSafeInteger(r.stream_seq, 'stream_seq'),
    record: toBytes(r.record, 'record'),
  }));
}

/** Inserts a group's rounds (with their seals, calendar nodes, checkpoints) and the calendar state after them. */
export async function insertRounds(db: Db, rounds: RoundRows, state: FollowerState): Promise<void> {
  if (rounds.rounds.length === 0) return;
  const r = rounds.rounds;
  await db.query({
    name: 'verifier_insert_rounds',
    text: `INSERT INTO ${SCHEMA}.rounds (k, stream_seq, record, leaf_hash, closed_at_us, seal_count, root,
         checkpoint, verified, detail)
       SELECT * FROM unnest($1::int8[], $2::int8[], $3::bytea[], $4::bytea[], $5::int8[], $6::int4[], $7::bytea[],
         $8::text[], $9::bool[], $10::text[])`,
    values: [
      r.map((x) => x.k),
      r.map((x) => x.seq),
      r.map((x) => Buffer.from(x.record)),
      r.map((x) => Buffer.from(x.leafHash)),
      r.map((x) => x.closedAt),
      r.map((x) => x.sealCount),
      r.map((x) => Buffer.from(x.root)),
      r.map((x) => x.checkpoint),
      r.map((x) => x.verified),
      r.map((x) => x.detail),
    ],
  });
  const s = rounds.seals;
  await db.query({
    name: 'verifier_insert_round_seals',
    text: `INSERT INTO ${SCHEMA}.round_seals (k, position, seal_seq, record)
       SELECT * FROM unnest($1::int8[], $2::int4[], $3::int8[], $4::bytea[])`,
    values: [
      s.map((x) => x.k),
      s.map((x) => x.position),
      s.map((x) => x.sealSeq),
      s.map((x) => Buffer.from(x.record)),
    ],
  });
  const n = rounds.nodes;
  await db.query({
    name: 'verifier_insert_calendar_nodes',
    text: `INSERT INTO ${SCHEMA}.calendar_nodes (level, idx, hash)
       SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[]) ON CONFLICT DO NOTHING`,
    values: [n.map((x) => x.level), n.map((x) => x.index), n.map((x) => Buffer.from(x.hash))],
  });
  const c = rounds.checkpoints;
  if (c.length > 0) {
    await db.query({
      name: 'verifier_insert_checkpoints',
      text: `INSERT INTO ${SCHEMA}.checkpoints (size, root, note)
         SELECT * FROM unnest($1::int8[], $2::bytea[], $3::text[])`,
      values: [c.map((x) => x.size), c.map((x) => Buffer.from(x.root)), c.map((x) => x.note)],
    });
  }
  await db.query({
    name: 'verifier_calendar_state',
    text: `UPDATE ${SCHEMA}.calendar_state SET size = $1::int8, root = $2::bytea, range_hashes = $3::bytea,
         origin = $4::text, follower = $5::bytea`,
    values: [
      state.size,
      Buffer.from(state.range.root()),
      Buffer.from(packCompactRange(state.range)),
      state.origin,
      Buffer.from(packFollowerState(state)),
    ],
  });
}

/** A seal of a round as GetRound serves it: its record and the shard map version that sealed it. */
export interface RoundSeal {
  readonly record: Uint8Array;
  /** 0 when not known (no shard map version published, or the seal is not in the seal stream). */
  readonly shardMapVersion: number;
}

/** The seals of round k in its tree's leaf order, each with the shard map version of its seal. */
export async function roundSeals(db: Db, k: number): Promise<RoundSeal[]> {
  const { rows } = await db.query({
    name: 'verifier_round_seals_with_versions',
    text: `SELECT rs.record, coalesce(s.shard_map_version, 0) AS shard_map_version
       FROM ${SCHEMA}.round_seals rs LEFT JOIN ${SCHEMA}.seals s ON s.stream_seq = rs.seal_seq
       WHERE rs.k = $1::int8 ORDER BY rs.position`,
    values: [k],
  });
  return rows.map((r) => ({
    record: toBytes(r.record, 'record'),
    shardMapVersion: toSafeInteger(r.shard_map_version, 'shard_map_version'),
  }));
}

/** The verified checkpoint note of `size`, if any. */
export async function verifiedNote(db: Db, size: number): Promise<string | undefined> {
  const { rows } = await db.query(`SELECT note FROM ${SCHEMA}.checkpoints WHERE size = $1::int8`, [size]);
  return rows[0] === undefined ? undefined : toText(rows[0].note, 'note');
}

/** Keeps the note with the most cosignature lines per size; true when it replaced the kept one. */
export async function keepCosigned(db: Db, size: number, note: string, count: number): Promise<boolean> {
  const result = await db.query(
    `INSERT INTO ${SCHEMA}.cosigned_checkpoints (size, note, cosignature_count) VALUES ($1::int8, $2::text, $3::int4)
     ON CONFLICT (size) DO UPDATE SET note = excluded.note, cosignature_count = excluded.cosignature_count
     WHERE ${SCHEMA}.cosigned_checkpoints.cosignature_count < excluded.cosignature_count`,
    [size, note, count],
  );
  return (result.rowCount ?? 0) > 0;
}

/**
 * Raises each witness's head (table `witness_heads`) to the given ones where they are newer: a larger
 * size, or the same size at an earlier time. `heads` has one entry per witness (witnessHeadsOf).
 */
export async function raiseWitnessHeads(db: Db, heads: readonly WitnessHead[]): Promise<void> {
  if (heads.length === 0) return;
  await db.query({
    name: 'verifier_raise_witness_heads',
    text: `INSERT INTO ${SCHEMA}.witness_heads AS w (name, key_id, size, cosigned_at_us)
       SELECT * FROM unnest($1::text[], $2::int8[], $3::int8[], $4::int8[])
       ON CONFLICT (name, key_id) DO UPDATE SET size = excluded.size, cosigned_at_us = excluded.cosigned_at_us
       WHERE w.size < excluded.size OR (w.size = excluded.size AND w.cosigned_at_us > excluded.cosigned_at_us)`,
    values: [
      heads.map((h) => h.name),
      heads.map((h) => h.keyId),
      heads.map((h) => h.size),
      heads.map((h) => h.time * 1_000_000),
    ],
  });
}

/** Inserts checked publications (insert-only: a redelivered message changes nothing). */
export async function insertPublications(
  db: Db,
  publications: readonly { readonly seq: number; readonly publication: CheckedPublication }[],
): Promise<void> {
  if (publications.length === 0) return;
  await db.query({
    name: 'verifier_insert_publications',
    text: `INSERT INTO ${SCHEMA}.publications (stream_seq, time_us, size, text)
       SELECT * FROM unnest($1::int8[], $2::int8[], $3::int8[], $4::text[]) ON CONFLICT DO NOTHING`,
    values: [
      publications.map((p) => p.seq),
      publications.map((p) => p.publication.time * 1_000_000),
      publications.map((p) => p.publication.size),
      publications.map((p) => p.publication.text),
    ],
  });
}

/** Records failures (idempotent: a rebuild finds the same ones again). */
export async function insertFailures(db: Db, failures: readonly Failure[]): Promise<void> {
  if (failures.length === 0) return;
  await db.query(
    `INSERT INTO ${SCHEMA}.integrity_failures (source, seq, kind, shard, number, detail)
     SELECT * FROM unnest($1::text[], $2::int8[], $3::int2[], $4::int8[], $5::int8[], $6::text[])
     ON CONFLICT DO NOTHING`,
    [
      failures.map((f) => f.source),
      failures.map((f) => f.seq),
      failures.map((f) => f.kind),
      failures.map((f) => f.shard),
      failures.map((f) => f.number),
      failures.map((f) => f.detail),
    ],
  );
}

/**
 * The follower state of a projection written before the `follower` column (migration 3): the stored
 * compact range and origin, and closed_at, seals_end and interval_ms of the last round (each stored
 * round record decoded then; unknown fields are not judged for the next round).
 */
function legacyFollower(
  hasher: MerkleHasher,
  row: { size: unknown; range_hashes: unknown; origin: unknown; last_record: unknown },
): FollowerState {
  const size = toSafeInteger(row.size, 'size');
  if (size === 0) return { ...emptyFollowerState(hasher), origin: String(row.origin) };
  let last: ReturnType<typeof decodeRound> | undefined;
  try {
    last = decodeRound(toBytes(row.last_record, 'last_record'));
  } catch {
    last = undefined;
  }
  return {
    size,
    range: unpackCompactRange(hasher, size, toBytes(row.range_hashes, 'range_hashes')),
    lastClosedAt: last?.closedAt ?? null,
    sealsEnd: last?.sealsEnd ?? null,
    intervalMs: last?.intervalMs ?? null,
    origin: String(row.origin),
  };
}
