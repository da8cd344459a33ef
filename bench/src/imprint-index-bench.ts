// The data-imprint index benchmark: `pnpm bench:imprint-index [--rows N]` against Postgres
// (DATABASE_URL, else an embedded server). What an index on the verifier's `events.data` costs per
// inserted row as the table grows, for a hash index and a B-tree, when every row's imprint is its own,
// when 4,096 imprints repeat (the pipeline bench's datasets) and when 16 do (hot data items): N rows
// are inserted in four quarters into a table shaped as the key columns of `verifier.events`, and each
// quarter's time is compared with the same quarter under the primary key alone. The verifier's
// migration 9 chose the B-tree from these figures (services/verifier/src/schema.ts).
import { createPool, type Pool } from '@msi/postgres';
import { createFreshDatabase, startTestServers } from '@msi/testkit';
import { runSection } from './harness.js';

const rowsArg = process.argv.indexOf('--rows');
const ROWS = rowsArg > 0 ? Number(process.argv[rowsArg + 1]) : 1_600_000;
if (!Number.isInteger(ROWS) || ROWS < 4000 || ROWS % 4 !== 0)
  throw new Error('--rows takes an integer ≥ 4,000 that 4 divides');
const QUARTERS = 4;

/** How many distinct imprints the rows name; undefined: each row its own. */
const DISTRIBUTIONS: readonly { readonly label: string; readonly distinct: number | undefined }[] = [
  { label: 'every imprint distinct', distinct: undefined },
  { label: '4,096 imprints repeated', distinct: 4096 },
  { label: '16 imprints repeated', distinct: 16 },
];
const INDEXES = [
  { label: 'none (primary key only)', sql: undefined },
  { label: 'hash', sql: 'USING hash (data)' },
  { label: 'B-tree', sql: '(data)' },
] as const;

/** Milliseconds of each quarter's INSERT, and the data index's size at the end (bytes). */
async function insertQuarters(
  pool: Pool,
  distinct: number | undefined,
  index: string | undefined,
): Promise<{ quarterMs: number[]; indexBytes: number }> {
  await pool.query('DROP TABLE IF EXISTS imprint_rows');
  await pool.query(
    'CREATE TABLE imprint_rows (stream_seq bigint NOT NULL, position integer NOT NULL, data bytea NOT NULL, PRIMARY KEY (stream_seq, position))',
  );
  if (index !== undefined) await pool.query(`CREATE INDEX imprint_rows_data ON imprint_rows ${index}`);
  await pool.query('CHECKPOINT');
  // A 33-byte imprint as the core encodes one (algorithm byte 0x01, SHA-256), of the row's key.
  const key = distinct === undefined ? 'g' : `g % ${distinct}`;
  const quarterMs: number[] = [];
  const quarter = ROWS / QUARTERS;
  for (let q = 0; q < QUARTERS; q++) {
    const started = performance.now();
    await pool.query(
      `INSERT INTO imprint_rows SELECT g, 0, '\\x01'::bytea || sha256((${key})::text::bytea)
       FROM generate_series($1::int8, $2::int8) AS g`,
      [q * quarter + 1, (q + 1) * quarter],
    );
    quarterMs.push(performance.now() - started);
  }
  const { rows } = await pool.query(
    `SELECT coalesce(pg_relation_size(to_regclass('imprint_rows_data')), 0)::int8 AS bytes`,
  );
  await pool.query('DROP TABLE imprint_rows');
  return { quarterMs, indexBytes: Number(rows[0].bytes) };
}

async function main(): Promise<void> {
  console.log(`imprint index benchmark — ${ROWS.toLocaleString('en-US')} rows in ${QUARTERS} quarters`);
  const servers = await startTestServers();
  console.log(`servers: Postgres from ${servers.origin.postgres}`);
  const database = await createFreshDatabase(servers.databaseUrl, 'benchimprint');
  const pool = createPool({ connectionString: database.url, max: 1, applicationName: 'msi-bench' });
  try {
    for (const { label, distinct } of DISTRIBUTIONS) {
      await runSection(label, async (section) => {
        const measured: { quarterMs: number[]; indexBytes: number }[] = [];
        for (const index of INDEXES) measured.push(await insertQuarters(pool, distinct, index.sql));
        const base = measured[0]?.quarterMs ?? [];
        INDEXES.forEach((index, at) => {
          const { quarterMs, indexBytes } = measured[at] ?? { quarterMs: [], indexBytes: 0 };
          const row: Record<string, string> = { index: index.label };
          quarterMs.forEach((ms, q) => {
            const perRow = (1000 * (ms - (index.sql === undefined ? 0 : (base[q] ?? 0)))) / (ROWS / QUARTERS);
            row[`µs/row, quarter ${q + 1}`] =
              index.sql === undefined ? perRow.toFixed(2) : `+${perRow.toFixed(2)}`;
          });
          row['index size'] = index.sql === undefined ? '' : `${(indexBytes / 2 ** 20).toFixed(0)} MiB`;
          section.add(row);
        });
        section.note(
          `${ROWS.toLocaleString('en-US')} rows of (stream_seq, position, data) inserted by INSERT … SELECT in ${QUARTERS} statements; the primary-key-only row is each quarter's whole time per row, the others the time their index added to it (wall time of the one backend)`,
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
