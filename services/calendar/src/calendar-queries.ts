import { type Queryable, toBytes, toSafeInteger } from '@msi/postgres';
import { SCHEMA } from './schema.js';

/** A checkpoint as stored: the calendar of `size` rounds, its root and the signed note. */
export interface StoredCheckpoint {
  readonly size: number;
  readonly root: Uint8Array;
  readonly note: string;
}

/** A round as stored: its record bytes, leaf hash and covered seal records in leaf order. */
export interface StoredRound {
  readonly round: number;
  readonly record: Uint8Array;
  readonly leafHash: Uint8Array;
  readonly seals: readonly Uint8Array[];
  /** The calendar instance that appended it (or replayed it from `<prefix>.rounds`). */
  readonly writer: string;
}

/** The number of rounds the calendar holds. */
export async function calendarSize(db: Queryable): Promise<number> {
  const { rows } = await db.query(`SELECT size FROM ${SCHEMA}.calendar_writer`);
  return toSafeInteger(rows[0]?.size ?? 0, 'size');
}

/** The stored checkpoint of the calendar of `size` rounds (the latest when size is omitted). */
export async function calendarCheckpoint(
  db: Queryable,
  size?: number,
): Promise<StoredCheckpoint | undefined> {
  const { rows } =
    size === undefined
      ? await db.query(`SELECT size, root, note FROM ${SCHEMA}.checkpoints ORDER BY size DESC LIMIT 1`)
      : await db.query(`SELECT size, root, note FROM ${SCHEMA}.checkpoints WHERE size = $1`, [size]);
  const row = rows[0];
  if (row === undefined) return undefined;
  return { size: toSafeInteger(row.size, 'size'), root: toBytes(row.root, 'root'), note: String(row.note) };
}

/** The roots of the stored checkpoints of sizes in (from, to], in size order. */
export async function calendarRoots(
  db: Queryable,
  from: number,
  to: number,
): Promise<{ readonly size: number; readonly root: Uint8Array }[]> {
  const { rows } = await db.query(
    `SELECT size, root FROM ${SCHEMA}.checkpoints WHERE size > $1 AND size <= $2 ORDER BY size`,
    [from, to],
  );
  return rows.map((row) => ({ size: toSafeInteger(row.size, 'size'), root: toBytes(row.root, 'root') }));
}

/** Round `k` as stored, or undefined when the calendar does not have it. */
export async function calendarRound(db: Queryable, k: number): Promise<StoredRound | undefined> {
  const { rows } = await db.query(
    `SELECT r.record, r.leaf_hash, r.writer,
       coalesce((SELECT array_agg(s.record ORDER BY s.position) FROM ${SCHEMA}.round_seals s WHERE s.k = r.k),
                '{}') AS seals
     FROM ${SCHEMA}.rounds r WHERE r.k = $1`,
    [k],
  );
  const row = rows[0];
  if (row === undefined) return undefined;
  const seals: unknown[] = Array.isArray(row.seals) ? row.seals : [];
  return {
    round: k,
    record: toBytes(row.record, 'record'),
    leafHash: toBytes(row.leaf_hash, 'leaf_hash'),
    seals: seals.map((seal) => toBytes(seal, 'seals')),
    writer: String(row.writer),
  };
}
