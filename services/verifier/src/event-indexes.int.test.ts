// Migration 9 on a projection built before it (real Postgres): the hash indexes of migration 8 on
// events.event_id and events.data give way to B-trees, and the lookups by id (GetReceipt,
// WatchReceipts) and by data imprint (GetHistory, the lineage walk) find the same rows through them —
// an imprint that many rows name among them. Under the hash index each insert of such an imprint
// walked its bucket's whole chain of overflow pages (bench:event-index).
import { kindCode } from '@msi/core';
import { describe, expect, it } from 'vitest';
import { useProjectionAt } from './projection-at.test-helper.js';
import { prepareProjection } from './projection-store.js';
import { SCHEMA } from './schema.js';

// The projection as migration 8 left it.
const earlier = useProjectionAt('verifier_event_indexes', 8);

/** 16-byte ids (row i's: 0x01 then i), and 33-byte imprints: two rows in three name the hot one. */
const ROWS = 600;
const idOf = (i: number) => Buffer.concat([Buffer.from([1]), Buffer.alloc(11), Buffer.from(int4(i))]);
const HOT = Buffer.concat([Buffer.from([1]), Buffer.alloc(32, 0xab)]);
const imprintOf = (i: number) =>
  i % 3 === 0 ? Buffer.concat([Buffer.from([1]), Buffer.alloc(28), Buffer.from(int4(i))]) : HOT;

function int4(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value);
  return bytes;
}

/** The indexes of the events table whose first column is `column`, by name and access method. */
async function indexesOn(column: string): Promise<string[][]> {
  const { rows } = await earlier.pool.query(
    `SELECT c.relname AS name, a.amname AS method
     FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam
     JOIN pg_attribute f ON f.attrelid = i.indrelid AND f.attnum = i.indkey[0]
     WHERE i.indrelid = '${SCHEMA}.events'::regclass AND f.attname = $1::text`,
    [column],
  );
  return rows.map((r) => [String(r.name), String(r.method)]);
}

/**
 * The positions of the rows `column` = `value` finds (of kind `kind` when given: the lineage walk's
 * TRANSFERs of an imprint), and the plan that found them (no sequential scan).
 */
async function lookUp(
  column: string,
  value: Buffer,
  kind?: number,
): Promise<{ found: number[]; plan: string }> {
  const client = await earlier.pool.connect();
  try {
    // Planner statistics of a small table favour a sequential scan: take it away to see the index.
    await client.query('SET enable_seqscan = off');
    const sql = `SELECT position FROM ${SCHEMA}.events WHERE ${column} = $1::bytea
      ${kind === undefined ? '' : `AND kind = ${kind}::int2`} ORDER BY position`;
    const plan = await client.query(`EXPLAIN ${sql}`, [value]);
    const { rows } = await client.query(sql, [value]);
    return {
      found: rows.map((r) => Number(r.position)),
      plan: plan.rows.map((r) => r['QUERY PLAN']).join('\n'),
    };
  } finally {
    await client.query('RESET enable_seqscan');
    client.release();
  }
}

/** The hot imprint's rows, one id's row, one other imprint's rows and the hot imprint's TRANSFERs. */
async function lookUps(): Promise<{ found: number[]; plan: string }[]> {
  return [
    await lookUp('data', HOT),
    await lookUp('event_id', idOf(451)),
    await lookUp('data', imprintOf(300)),
    await lookUp('data', HOT, kindCode('TRANSFER')),
  ];
}

describe('migration 9: event ids and data imprints indexed by B-trees (real Postgres)', () => {
  it('replaces the hash indexes, and the same lookups find the same rows through the B-trees', async () => {
    await earlier.pool.query(
      `INSERT INTO ${SCHEMA}.events (stream_seq, position, shard, tenant, event_id, kind, data, to_tenant,
         received_at_us, canonical, leaf_hash, actor, submitter)
       SELECT 1, t.pos, 0, 'acme', t.id, t.kind, t.data, '', t.pos, '\\x01'::bytea, '\\x02'::bytea, 'a', 'a'
       FROM unnest($1::int4[], $2::bytea[], $3::bytea[], $4::int2[]) AS t(pos, id, data, kind)`,
      [
        Array.from({ length: ROWS }, (_, i) => i),
        Array.from({ length: ROWS }, (_, i) => idOf(i)),
        Array.from({ length: ROWS }, (_, i) => imprintOf(i)),
        Array.from({ length: ROWS }, (_, i) => kindCode(i % 10 === 5 ? 'TRANSFER' : 'ACCESS')),
      ],
    );
    expect(await indexesOn('event_id')).toEqual([['events_event_id_hash', 'hash']]);
    expect(await indexesOn('data')).toEqual([['events_data_hash', 'hash']]);
    const before = await lookUps();

    await prepareProjection(earlier.pool);

    expect(await indexesOn('event_id')).toEqual([['events_event_id', 'btree']]);
    expect(await indexesOn('data')).toEqual([['events_data', 'btree']]);
    const after = await lookUps();
    expect(after.map((a) => a.found)).toEqual(before.map((b) => b.found));
    expect(after[0]?.found).toHaveLength((ROWS * 2) / 3);
    expect(after.map((a) => a.found.slice(0, 3))).toEqual([[1, 2, 4], [451], [300], [5, 25, 35]]);
    expect(after[3]?.found).toHaveLength(ROWS / 10 - ROWS / 30);
    expect(after[0]?.plan).toMatch(/(using|on) events_data\b/);
    expect(after[1]?.plan).toMatch(/(using|on) events_event_id\b/);
    // The TRANSFERs of the hot imprint: both conditions in the index's, not a filter over its rows.
    expect(after[3]?.plan).toMatch(/Index Cond: \(\(data = .*\) AND \(kind = /);
  });
});
