// The custody-history benchmark: `pnpm bench:history-pages [--rows N]` against Postgres (DATABASE_URL,
// else an embedded server). What one GetHistory page (100 entries, the verifier's own query:
// historyOf) costs on an imprint that N events name — a dataset every job reads — at the start, in
// the middle and at the end of its history, read with keyset tokens (migration 10) and with the
// decimal offset tokens that verifiers before it gave out (still honoured: they read the rows they
// skip). The projection is the verifier's own schema; its N event rows are ACCESSes, TRANSFERs,
// PROCESS outputs of the imprint (each also in event_imprints) and events of another tenant, with
// received times in stream order, a thousand a second. It also times one level of GetLineage's walk
// from that imprint (lineageLevel), which reads at most twice the events asked for per imprint.
import { kindCode } from '@msi/core';
import { createPool, type Pool } from '@msi/postgres';
import { createFreshDatabase, startTestServers } from '@msi/testkit';
import { historyOf, lineageLevel, prepareProjection, SCHEMA } from '@msi/verifier';
import { runSection } from './harness.js';

const rowsArg = process.argv.indexOf('--rows');
const ROWS = rowsArg > 0 ? Number(process.argv[rowsArg + 1]) : 1_000_000;
if (!Number.isInteger(ROWS) || ROWS < 1000) throw new Error('--rows takes an integer ≥ 1,000');
const PAGE = 100;
const REPEATS = 5;
const BASE_US = 1_765_000_000_000_000;
/** The imprint the history is of: algorithm byte 0x01, then 32 bytes. */
const HOT = Buffer.concat([Buffer.from([1]), Buffer.alloc(32, 0xab)]);

/**
 * Row g (1 … N), message g, received at BASE + g ms: by g mod 10, 0–5 an ACCESS of the imprint, 6 a
 * TRANSFER of it to tenant beta, 7 a PROCESS whose data and output it is, 8 beta's own ACCESS of
 * it, 9 a STORE of another imprint.
 */
async function fill(pool: Pool): Promise<void> {
  const kind = (name: Parameters<typeof kindCode>[0]) => kindCode(name);
  await pool.query(
    `INSERT INTO ${SCHEMA}.events (stream_seq, position, shard, tenant, event_id, kind, data, to_tenant,
       received_at_us, canonical, leaf_hash, actor, submitter)
     SELECT g, 0, 0, CASE WHEN g % 10 = 8 THEN 'beta' ELSE 'acme' END, int8send(g) || int8send(g),
       CASE g % 10 WHEN 6 THEN ${kind('TRANSFER')} WHEN 7 THEN ${kind('PROCESS')} WHEN 9 THEN ${kind('STORE')}
         ELSE ${kind('ACCESS')} END,
       CASE WHEN g % 10 = 9 THEN '\\x01'::bytea || sha256(int8send(g)) ELSE $1::bytea END,
       CASE WHEN g % 10 = 6 THEN 'beta' ELSE '' END,
       $2::int8 + g * 1000, '\\x0a'::bytea, sha256(int8send(g)), 'etl', 'gw'
     FROM generate_series(1, $3::int8) AS g`,
    [HOT, BASE_US, ROWS],
  );
  await pool.query(
    `INSERT INTO ${SCHEMA}.event_imprints (imprint, role, stream_seq, position, received_at_us)
     SELECT $1::bytea, 'output', g, 0, $2::int8 + g * 1000 FROM generate_series(7, $3::int8, 10) AS g`,
    [HOT, BASE_US, ROWS],
  );
  await pool.query(`VACUUM ANALYZE ${SCHEMA}.events`);
  await pool.query(`VACUUM ANALYZE ${SCHEMA}.event_imprints`);
}

/** The median milliseconds of `REPEATS` runs of `read`, and what the last one returned. */
async function timed<T>(read: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const times: number[] = [];
  let result: T | undefined;
  for (let i = 0; i < REPEATS; i++) {
    const started = performance.now();
    result = await read();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(REPEATS / 2)] ?? 0, result: result as T };
}

async function main(): Promise<void> {
  console.log(`custody-history page benchmark — an imprint named by ${ROWS.toLocaleString('en-US')} events`);
  const servers = await startTestServers();
  console.log(`servers: Postgres from ${servers.origin.postgres}`);
  const database = await createFreshDatabase(servers.databaseUrl, 'benchhistory');
  const pool = createPool({ connectionString: database.url, max: 1, applicationName: 'msi-bench' });
  try {
    await prepareProjection(pool);
    const started = performance.now();
    await fill(pool);
    console.log(`filled in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const visible = Number(
      (
        await pool.query(
          `SELECT count(*) AS n FROM ${SCHEMA}.events
           WHERE data = $1::bytea AND (tenant = 'acme' OR (kind = 1 AND to_tenant = 'acme'))`,
          [HOT],
        )
      ).rows[0].n,
    );
    await runSection(
      `one page of ${PAGE} entries of tenant acme's history (${visible.toLocaleString('en-US')} entries)`,
      async (section) => {
        const page = (
          after: { receivedAt: number; streamSeq: number; position: number } | undefined,
          offset: number,
        ) => historyOf(pool, HOT, 'acme', { fromUs: 0, toUs: 0, after, offset, limit: PAGE + 1 });
        // Postgres plans a prepared statement afresh for its first five runs (~2.5 ms each here), then
        // may keep a generic plan: what a verifier's pooled connections run once warm.
        for (let i = 0; i < 6; i++) await page(undefined, 0);
        for (const [label, depth] of [
          ['first page', 0],
          ['middle', Math.floor(visible / 2)],
          ['last page', Math.max(0, visible - PAGE)],
        ] as const) {
          // The entry before the page, where a keyset token from the page before would point.
          const before =
            depth === 0
              ? undefined
              : (
                  await historyOf(pool, HOT, 'acme', {
                    fromUs: 0,
                    toUs: 0,
                    after: undefined,
                    offset: depth - 1,
                    limit: 1,
                  })
                )[0];
          const cursor =
            before === undefined
              ? undefined
              : {
                  receivedAt: before.receivedAt,
                  streamSeq: before.event.streamSeq,
                  position: before.event.position,
                };
          const keyset = await timed(() => page(cursor, 0));
          const offset = await timed(() => page(undefined, depth));
          const same =
            JSON.stringify(keyset.result.map((r) => r.event.streamSeq)) ===
            JSON.stringify(offset.result.map((r) => r.event.streamSeq));
          section.add({
            page: label,
            'entries before it': depth.toLocaleString('en-US'),
            'keyset token, ms': keyset.ms.toFixed(2),
            'offset token, ms': offset.ms.toFixed(2),
            'same entries': same ? 'yes' : 'NO',
          });
        }
        section.note(
          `median of ${REPEATS} runs of historyOf after 6 to warm its prepared statement (one query, one connection, wall time as the client sees it); rows of the verifier's schema after all its migrations`,
        );
      },
    );
    await runSection(
      'one level of a GetLineage walk up from the imprint (its PROCESS outputs and TRANSFERs)',
      async (section) => {
        const level = lineageLevel(pool, 'acme');
        for (let i = 0; i < 6; i++) await level([HOT], 'up', [], PAGE + 1);
        for (const limit of [101, 1001, 5001]) {
          // walkLineage asks for one more than the links it still takes (5,000 at most): 5,001.
          const read = await timed(() => level([HOT], 'up', [], limit));
          section.add({
            'events asked': limit.toLocaleString('en-US'),
            ms: read.ms.toFixed(2),
            events: read.result.length,
          });
        }
        section.note(
          `median of ${REPEATS} runs of the verifier's level query (lineageLevel) after 6 to warm it; the imprint is the output of ${Math.floor(ROWS / 10).toLocaleString('en-US')} PROCESS events and the data of as many TRANSFERs, all tenant acme's`,
        );
      },
    );
  } finally {
    await pool.end();
    await database.drop().catch(() => {});
    await servers.stop();
  }
}

await main();
