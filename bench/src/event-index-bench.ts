// The event-index benchmark: `pnpm bench:event-index [--rows N]` against Postgres (DATABASE_URL,
// else an embedded server). What an index on a column of the verifier's `events` costs per inserted
// row as the table grows, a hash index against a B-tree: the data imprint when every row's is its
// own, when 4,096 repeat (the pipeline bench's datasets) and when 16 do (hot data items), and the
// event id, a UUIDv7 in time order. N rows are inserted in four quarters into a table of the key
// columns and the indexed one, and each quarter's time is compared with the same quarter under the
// primary key alone. The verifier's migration 9 chose its indexes from these figures, and migration
// 10 added to the imprint's the order GetHistory pages by (services/verifier/src/schema.ts).
import { kindCode } from '@msi/core';
import { createPool, type Pool } from '@msi/postgres';
import { createFreshDatabase, startTestServers } from '@msi/testkit';
import { runSection } from './harness.js';

const rowsArg = process.argv.indexOf('--rows');
const ROWS = rowsArg > 0 ? Number(process.argv[rowsArg + 1]) : 1_600_000;
if (!Number.isInteger(ROWS) || ROWS < 4000 || ROWS % 4 !== 0)
  throw new Error('--rows takes an integer ≥ 4,000 that 4 divides');
const QUARTERS = 4;
/** Every row's kind: an ACCESS, as every event of the pipeline bench's load. */
const ACCESS = kindCode('ACCESS');
/** Migration 10's imprint index: an imprint's rows of one kind in GetHistory's order. */
const ORDERED = 'data, kind, received_at_us, stream_seq, position';

/** Row g's received time (µs): 30,000 events a second, in insertion order. */
const RECEIVED_AT = '1765000000000000 + g * 33';

/**
 * The indexed column's values, as SQL of the row number g: a 33-byte imprint as the core encodes one
 * (algorithm byte 0x01, then a SHA-256), each row's own or one of `distinct`; or a 16-byte UUIDv7
 * event id as ingest admits them: 48 bits of milliseconds, 30 ids a millisecond in insertion order
 * (30,000 events/s) or anywhere in a day, then 10 bytes of a SHA-256 for the random part.
 */
const SCENARIOS: readonly {
  readonly label: string;
  readonly column: string;
  readonly values: string;
  /** The B-trees' columns, as the verifier's migrations index them, each with its label. */
  readonly btrees: readonly { readonly label: string; readonly columns: string }[];
}[] = [
  {
    label: 'data imprints, every one distinct',
    column: 'data',
    values: `'\\x01'::bytea || sha256(g::text::bytea)`,
    btrees: [
      { label: 'B-tree (data, kind): migration 9', columns: 'data, kind' },
      { label: 'B-tree (data, kind, received_at_us, stream_seq, position): migration 10', columns: ORDERED },
    ],
  },
  {
    label: 'data imprints, 4,096 repeated',
    column: 'data',
    values: `'\\x01'::bytea || sha256((g % 4096)::text::bytea)`,
    btrees: [
      { label: 'B-tree (data, kind): migration 9', columns: 'data, kind' },
      { label: 'B-tree (data, kind, received_at_us, stream_seq, position): migration 10', columns: ORDERED },
    ],
  },
  {
    label: 'data imprints, 16 repeated',
    column: 'data',
    values: `'\\x01'::bytea || sha256((g % 16)::text::bytea)`,
    btrees: [
      { label: 'B-tree (data, kind): migration 9', columns: 'data, kind' },
      { label: 'B-tree (data, kind, received_at_us, stream_seq, position): migration 10', columns: ORDERED },
    ],
  },
  {
    label: 'event ids (UUIDv7, in time order)',
    column: 'event_id',
    values: `substring(int8send(1765000000000 + g / 30) FROM 3 FOR 6) || substring(sha256(g::text::bytea) FROM 1 FOR 10)`,
    btrees: [{ label: 'B-tree: migration 9', columns: 'event_id' }],
  },
  {
    // The worst order the dedup window (24 h) admits: every id's time anywhere in it (clients and
    // agents resending a day's events), so the B-tree inserts all over itself, as a hash index does.
    label: 'event ids (UUIDv7, times anywhere in 24 h)',
    column: 'event_id',
    values: `substring(int8send(1765000000000 + ('x' || substring(md5(g::text) FOR 8))::bit(32)::int8 % 86400000) FROM 3 FOR 6) || substring(sha256(g::text::bytea) FROM 1 FOR 10)`,
    btrees: [{ label: 'B-tree: migration 9', columns: 'event_id' }],
  },
];
/** The indexes measured for a scenario: none (the primary key alone), a hash index, its B-trees. */
const indexesOf = (
  scenario: (typeof SCENARIOS)[number],
): readonly { readonly label: string; readonly using: string | undefined }[] => [
  { label: 'none (primary key only)', using: undefined },
  { label: 'hash', using: `hash (${scenario.column})` },
  ...scenario.btrees.map((b) => ({ label: b.label, using: `btree (${b.columns})` })),
];

/** Milliseconds of each quarter's INSERT, and the index's size at the end (bytes; 0 without one). */
async function insertQuarters(
  pool: Pool,
  scenario: (typeof SCENARIOS)[number],
  using: string | undefined,
): Promise<{ quarterMs: number[]; indexBytes: number }> {
  const { column, values } = scenario;
  await pool.query('DROP TABLE IF EXISTS indexed_rows');
  await pool.query(
    `CREATE TABLE indexed_rows (stream_seq bigint NOT NULL, position integer NOT NULL, kind smallint NOT NULL,
       received_at_us bigint NOT NULL, ${column} bytea NOT NULL, PRIMARY KEY (stream_seq, position))`,
  );
  if (using !== undefined)
    await pool.query(`CREATE INDEX indexed_rows_column ON indexed_rows USING ${using}`);
  await pool.query('CHECKPOINT');
  const quarterMs: number[] = [];
  const quarter = ROWS / QUARTERS;
  for (let q = 0; q < QUARTERS; q++) {
    const started = performance.now();
    await pool.query(
      `INSERT INTO indexed_rows SELECT g, 0, ${ACCESS}, ${RECEIVED_AT}, ${values} FROM generate_series($1::int8, $2::int8) AS g`,
      [q * quarter + 1, (q + 1) * quarter],
    );
    quarterMs.push(performance.now() - started);
  }
  const { rows } = await pool.query(
    `SELECT coalesce(pg_relation_size(to_regclass('indexed_rows_column')), 0)::int8 AS bytes`,
  );
  await pool.query('DROP TABLE indexed_rows');
  return { quarterMs, indexBytes: Number(rows[0].bytes) };
}

async function main(): Promise<void> {
  console.log(`event index benchmark — ${ROWS.toLocaleString('en-US')} rows in ${QUARTERS} quarters`);
  const servers = await startTestServers();
  console.log(`servers: Postgres from ${servers.origin.postgres}`);
  const database = await createFreshDatabase(servers.databaseUrl, 'benchindex');
  const pool = createPool({ connectionString: database.url, max: 1, applicationName: 'msi-bench' });
  try {
    for (const scenario of SCENARIOS) {
      await runSection(scenario.label, async (section) => {
        const indexes = indexesOf(scenario);
        const measured: { quarterMs: number[]; indexBytes: number }[] = [];
        for (const index of indexes) measured.push(await insertQuarters(pool, scenario, index.using));
        const base = measured[0]?.quarterMs ?? [];
        indexes.forEach((index, at) => {
          const { quarterMs, indexBytes } = measured[at] ?? { quarterMs: [], indexBytes: 0 };
          const row: Record<string, string> = { index: index.label };
          quarterMs.forEach((ms, q) => {
            const perRow =
              (1000 * (ms - (index.using === undefined ? 0 : (base[q] ?? 0)))) / (ROWS / QUARTERS);
            row[`µs/row, quarter ${q + 1}`] =
              index.using === undefined ? perRow.toFixed(2) : `+${perRow.toFixed(2)}`;
          });
          row['index size'] = index.using === undefined ? '' : `${(indexBytes / 2 ** 20).toFixed(0)} MiB`;
          section.add(row);
        });
        section.note(
          `${ROWS.toLocaleString('en-US')} rows of (stream_seq, position, kind, received_at_us, ${scenario.column}) inserted by INSERT … SELECT in ${QUARTERS} statements; the primary-key-only row is each quarter's whole time per row, the others the time their index added to it (wall time of the one backend)`,
        );
      });
    }
  } finally {
    await pool.end();
    await database.drop().catch(() => {});
    await servers.stop();
  }
}

await main();
