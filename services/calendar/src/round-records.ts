import { type Queryable, toBytes } from '@msi/postgres';
import { SCHEMA } from './schema.js';

/** The round records of rounds [from, to), in round order: the calendar's entries. */
export async function roundRecords(db: Queryable, from: number, to: number): Promise<Uint8Array[]> {
  const { rows } = await db.query(`SELECT record FROM ${SCHEMA}.rounds WHERE k >= $1 AND k < $2 ORDER BY k`, [
    from,
    to,
  ]);
  if (rows.length !== to - from) {
    throw new Error(`rounds ${from}…${to - 1}: the database holds ${rows.length} of them`);
  }
  return rows.map((row) => toBytes(row.record, 'record'));
}
