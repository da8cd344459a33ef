import { inTransaction, type Queryable, toSafeInteger } from '@msi/postgres';
import type pg from 'pg';
import { calendarCheckpoint, type StoredCheckpoint } from './calendar-queries.js';
import { SCHEMA } from './schema.js';

/** A stored checkpoint with the witness cosignatures collected for it. */
export interface CosignedCheckpoint extends StoredCheckpoint {
  /** The note: the log's signature line, then each stored cosignature line (witness name order). */
  readonly note: string;
  /** The witnesses whose cosignature the note carries. */
  readonly witnesses: readonly string[];
}

/**
 * The checkpoint of the calendar of `size` rounds (the latest when omitted) with every cosignature
 * stored for it appended to its note, or undefined when there is no such checkpoint. The lines were
 * verified against their witness's key before they were stored.
 */
export async function calendarCosignedCheckpoint(
  db: Queryable,
  size?: number,
): Promise<CosignedCheckpoint | undefined> {
  const checkpoint = await calendarCheckpoint(db, size);
  if (checkpoint === undefined) return undefined;
  const { rows } = await db.query(
    `SELECT witness, line FROM ${SCHEMA}.cosignatures WHERE size = $1 ORDER BY witness`,
    [checkpoint.size],
  );
  return {
    ...checkpoint,
    note: checkpoint.note + rows.map((row) => String(row.line)).join(''),
    witnesses: rows.map((row) => String(row.witness)),
  };
}

/** The size each witness last cosigned (or said it holds); a witness never seen is absent. */
export async function witnessSizes(db: Queryable): Promise<Map<string, number>> {
  const { rows } = await db.query(`SELECT witness, size FROM ${SCHEMA}.witness_state`);
  return new Map(rows.map((row) => [String(row.witness), toSafeInteger(row.size, 'size')]));
}

/** Records that `witness` holds `size` (a 409 answer). */
export async function setWitnessSize(db: Queryable, witness: string, size: number): Promise<void> {
  await db.query(
    `INSERT INTO ${SCHEMA}.witness_state (witness, size) VALUES ($1, $2)
     ON CONFLICT (witness) DO UPDATE SET size = EXCLUDED.size, updated_at = now()`,
    [witness, size],
  );
}

/**
 * Stores `witness`'s verified cosignature `line` of the checkpoint of `size` and advances the witness
 * to `size`, in one transaction. A line already stored for (size, witness) is kept (insert-only).
 */
export async function storeCosignature(
  pool: pg.Pool,
  witness: string,
  size: number,
  line: string,
): Promise<void> {
  await inTransaction(pool, async (client) => {
    await client.query(
      `INSERT INTO ${SCHEMA}.cosignatures (size, witness, line) VALUES ($1, $2, $3)
       ON CONFLICT (size, witness) DO NOTHING`,
      [size, witness, line],
    );
    await setWitnessSize(client, witness, size);
  });
}
