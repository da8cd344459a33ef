import { type Queryable, toSafeInteger } from '@msi/postgres';
import { SCHEMA } from './schema.js';

/** A stored publication: its time (seconds since the epoch), the checkpoint size it names, its text. */
export interface StoredPublication {
  readonly time: number;
  readonly size: number;
  /** The publication text (formatPublication), exactly as published on `<prefix>.publications`. */
  readonly text: string;
}

function toPublication(row: { time: unknown; size: unknown; text: unknown }): StoredPublication {
  return {
    time: toSafeInteger(row.time, 'time'),
    size: toSafeInteger(row.size, 'size'),
    text: String(row.text),
  };
}

/** Every stored publication, oldest first. */
export async function calendarPublications(db: Queryable): Promise<StoredPublication[]> {
  const { rows } = await db.query(`SELECT time, size, text FROM ${SCHEMA}.publications ORDER BY time`);
  return rows.map(toPublication);
}

/** The newest stored publication, or undefined before the first. */
export async function latestPublication(db: Queryable): Promise<StoredPublication | undefined> {
  const { rows } = await db.query(
    `SELECT time, size, text FROM ${SCHEMA}.publications ORDER BY time DESC LIMIT 1`,
  );
  const row = rows[0];
  return row === undefined ? undefined : toPublication(row);
}

/**
 * Stores `publication` (insert-only). When a publication of the same time is already stored (a retry,
 * or a race between two processes around a lease handover) it is kept and returned instead: what is
 * published is always what is stored.
 */
export async function storePublication(
  db: Queryable,
  publication: StoredPublication,
): Promise<StoredPublication> {
  const { rows } = await db.query(
    `INSERT INTO ${SCHEMA}.publications (time, size, text) VALUES ($1, $2, $3)
     ON CONFLICT (time) DO NOTHING RETURNING time, size, text`,
    [publication.time, publication.size, publication.text],
  );
  const inserted = rows[0];
  if (inserted !== undefined) return toPublication(inserted);
  const { rows: existing } = await db.query(
    `SELECT time, size, text FROM ${SCHEMA}.publications WHERE time = $1`,
    [publication.time],
  );
  const row = existing[0];
  if (row === undefined) throw new Error(`publication ${publication.time} neither inserted nor stored`);
  return toPublication(row);
}
