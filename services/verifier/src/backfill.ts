import { decodeEvent, type NoteVerifierKey } from '@msi/core';
import { inTransaction, type Pool, type PoolClient, toBytes, toSafeInteger, toText } from '@msi/postgres';
import type { Logger } from '@msi/service-kit';
import { addEventActors, emptyEventActors } from './event-rows.js';
import { fillEventActors, raiseWitnessHeads } from './projection-store.js';
import { SCHEMA } from './schema.js';
import { type WitnessLine, witnessHeadsOf, witnessLinesOf } from './witness-lines.js';

/** Event stream messages (EventBatches, up to 1,000 events each) read per backfill transaction. */
const EVENT_MESSAGES_PER_STEP = 16;
/** Cosigned notes read per backfill transaction. */
const NOTES_PER_STEP = 500;

/**
 * Fills what migration 5 added for rows projected before it (table `backfills`: per table, the bound
 * below which rows remain): the actor and submitter of each stored event (decoded from its canonical
 * bytes by the core, not parsed in SQL; columns of the event rows since migration 7) and the witness
 * heads of the stored cosigned checkpoints. Runs at start, before the pumps, from the newest rows
 * down, in small transactions each moving its bound: a stop resumes where it was, and rows the
 * projector writes meanwhile are its own (filling sets only what is unset; raising heads is
 * idempotent). A projection built after migration 5 has nothing to fill.
 */
export async function backfillProjection(
  pool: Pool,
  calendarKey: NoteVerifierKey,
  log: Logger,
): Promise<void> {
  const { rows } = await pool.query(`SELECT name, below FROM ${SCHEMA}.backfills`);
  for (const row of rows) {
    const name = toText(row.name, 'name');
    const below = toSafeInteger(row.below, 'below');
    const started = Date.now();
    let filled = 0;
    if (name === 'event_actors') filled = await backfillActors(pool, below);
    else if (name === 'witness_heads') filled = await backfillWitnessHeads(pool, calendarKey, below);
    else continue;
    log.info('backfilled', { table: name, rows: filled, ms: Date.now() - started });
  }
}

async function backfillActors(pool: Pool, from: number): Promise<number> {
  let below = from;
  let filled = 0;
  while (below > 0) {
    filled += await step(pool, 'event_actors', async (tx) => {
      const { rows } = await tx.query(
        `SELECT e.stream_seq, e.position, e.canonical FROM ${SCHEMA}.events e
         WHERE e.stream_seq < $1::int8 AND e.stream_seq >= (SELECT coalesce(min(s.seq), 0) FROM
           (SELECT DISTINCT stream_seq AS seq FROM ${SCHEMA}.events WHERE stream_seq < $1::int8
            ORDER BY seq DESC LIMIT $2::int4) s)`,
        [below, EVENT_MESSAGES_PER_STEP],
      );
      const actors = emptyEventActors();
      let lowest = 0;
      for (const r of rows) {
        const seq = toSafeInteger(r.stream_seq, 'stream_seq');
        // Stored rows were decoded once before they were inserted: they decode again.
        addEventActors(
          actors,
          decodeEvent(toBytes(r.canonical, 'canonical')),
          seq,
          toSafeInteger(r.position, 'position'),
        );
        lowest = lowest === 0 ? seq : Math.min(lowest, seq);
      }
      await fillEventActors(tx, actors);
      below = lowest;
      return { below, rows: rows.length };
    });
  }
  return filled;
}

async function backfillWitnessHeads(pool: Pool, calendarKey: NoteVerifierKey, from: number): Promise<number> {
  let below = from;
  let filled = 0;
  while (below > 0) {
    filled += await step(pool, 'witness_heads', async (tx) => {
      const { rows } = await tx.query(
        `SELECT size, note FROM ${SCHEMA}.cosigned_checkpoints WHERE size < $1::int8 ORDER BY size DESC LIMIT $2::int4`,
        [below, NOTES_PER_STEP],
      );
      const notes: { size: number; lines: WitnessLine[] }[] = rows.map((r) => ({
        size: toSafeInteger(r.size, 'size'),
        lines: witnessLinesOf(toText(r.note, 'note'), calendarKey),
      }));
      await raiseWitnessHeads(tx, witnessHeadsOf(notes));
      below = rows.length < NOTES_PER_STEP ? 0 : (notes.at(-1)?.size ?? 0);
      return { below, rows: rows.length };
    });
  }
  return filled;
}

/** One backfill transaction: `fill` writes rows and says the new bound (0: done, the row is deleted). */
function step(
  pool: Pool,
  name: string,
  fill: (tx: PoolClient) => Promise<{ below: number; rows: number }>,
): Promise<number> {
  return inTransaction(pool, async (tx) => {
    const { below, rows } = await fill(tx);
    if (below <= 0) await tx.query(`DELETE FROM ${SCHEMA}.backfills WHERE name = $1::text`, [name]);
    else
      await tx.query(`UPDATE ${SCHEMA}.backfills SET below = $2::int8 WHERE name = $1::text`, [name, below]);
    return rows;
  });
}
