// Migration 6 on a projection built before it (real Postgres): the seal and leaf index each event row
// carried move to one sealed_batches row per EventBatch message, and the view sealed_events gives
// every row back the same seal_seq and leaf_index — messages with missing positions included.
import { describe, expect, it } from 'vitest';
import { useProjectionAt } from './projection-at.test-helper.js';
import { prepareProjection } from './projection-store.js';
import { SCHEMA } from './schema.js';

// The projection as migration 5 left it.
const earlier = useProjectionAt('verifier_sealed_batches', 5);

/** Event rows as the projection wrote them before migration 6: [stream_seq, position, seal_seq, leaf_index]. */
const BEFORE: readonly (readonly [number, number, number | null, number | null])[] = [
  // message 10: dense, first in seal 100
  [10, 0, 100, 0],
  [10, 1, 100, 1],
  [10, 2, 100, 2],
  // message 11: positions 0 and 2 did not decode (no row, no leaf)
  [11, 1, 100, 3],
  [11, 3, 100, 4],
  [11, 4, 100, 5],
  // message 12: in seal 101
  [12, 0, 101, 0],
  [12, 1, 101, 1],
  // message 13: not sealed yet
  [13, 0, null, null],
];

describe('migration 6: sealed_batches (real Postgres)', () => {
  it('moves each row’s seal and leaf index to its message, and the view gives them back unchanged', async () => {
    await earlier.pool.query(
      `INSERT INTO ${SCHEMA}.events (stream_seq, position, shard, tenant, event_id, kind, data, to_tenant,
         received_at_us, canonical, leaf_hash, seal_seq, leaf_index)
       SELECT t.seq, t.pos, 0, 'acme', int4send(t.seq * 100 + t.pos), 3, '\\x00'::bytea, '', t.seq, '\\x01'::bytea,
         '\\x02'::bytea, t.seal, t.leaf
       FROM unnest($1::int4[], $2::int4[], $3::int8[], $4::int8[]) AS t(seq, pos, seal, leaf)`,
      [BEFORE.map((r) => r[0]), BEFORE.map((r) => r[1]), BEFORE.map((r) => r[2]), BEFORE.map((r) => r[3])],
    );

    await prepareProjection(earlier.pool);

    const batches = await earlier.pool.query(
      `SELECT stream_seq, seal_seq, first_leaf, gaps FROM ${SCHEMA}.sealed_batches ORDER BY stream_seq`,
    );
    expect(
      batches.rows.map((r) => [Number(r.stream_seq), Number(r.seal_seq), Number(r.first_leaf), r.gaps]),
    ).toEqual([
      [10, 100, 0, null],
      [11, 100, 3, [0, 2]],
      [12, 101, 0, null],
    ]);
    const after = await earlier.pool.query(
      `SELECT stream_seq, position, seal_seq, leaf_index FROM ${SCHEMA}.sealed_events ORDER BY stream_seq, position`,
    );
    expect(
      after.rows.map((r) => [
        Number(r.stream_seq),
        Number(r.position),
        r.seal_seq === null ? null : Number(r.seal_seq),
        r.leaf_index === null ? null : Number(r.leaf_index),
      ]),
    ).toEqual(BEFORE);
    // the event rows no longer carry them: sealing a message writes one row, not one per event
    const columns = await earlier.pool.query(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'events'
         AND column_name IN ('seal_seq', 'leaf_index')`,
      [SCHEMA],
    );
    expect(columns.rows).toEqual([]);
  });
});
