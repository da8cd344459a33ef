// Migration 10 and GetHistory's keyset pages (real Postgres). A projection built by migrations 1–9
// holds an imprint that most of its events name (as data, as a PROCESS input or output, both, or in a
// TRANSFER to another tenant), with received times shared by several events and stream positions
// out of time order. After migration 10, paging through it page by page gives each tenant exactly
// its visible events in (received_at, stream position) order with their roles; an offset (a token of
// an earlier verifier) gives the same entries; and a page deep into the history reads only as many
// index entries per branch as the page holds, where the offset query before it read every row
// naming the imprint.
import { kindCode } from '@msi/core';
import { describe, expect, it } from 'vitest';
import { useProjectionAt } from './projection-at.test-helper.js';
import { prepareProjection } from './projection-store.js';
import { executedPlan, rowsRead, type StoredEvent, testImprint } from './query-plan.test-helper.js';
import { type HistoryRow, historyOf, type OldestFirstCursor } from './receipt-store.js';
import { SCHEMA } from './schema.js';

const earlier = useProjectionAt('verifier_history_pages', 9);

const imprint = testImprint;
const HOT = imprint(0xff, 0);
const BASE_US = 1_700_000_000_000_000;

/**
 * 400 events, one per stream message (position 0). Event i is received at BASE + ⌊i/3⌋ ms (three
 * share each time) in message 1 + (7i mod 400), so stream order is not time order. acme's events
 * name the hot imprint by i mod 5 as 0: ACCESS data, 1: TRANSFER data to beta, 2: PROCESS input,
 * 3: PROCESS data and output, 4: STORE of another imprint; every eighth event is beta's own ACCESS of it.
 */
const EVENTS: readonly StoredEvent[] = Array.from({ length: 400 }, (_, i): StoredEvent => {
  const common = { seq: 1 + ((7 * i) % 400), to: '', receivedAt: BASE_US + Math.floor(i / 3) * 1000 };
  if (i % 8 === 7) return { ...common, tenant: 'beta', kind: kindCode('ACCESS'), data: HOT, imprints: [] };
  const acme = { ...common, tenant: 'acme' };
  switch (i % 5) {
    case 0:
      return { ...acme, kind: kindCode('ACCESS'), data: HOT, imprints: [] };
    case 1:
      return { ...acme, kind: kindCode('TRANSFER'), data: HOT, to: 'beta', imprints: [] };
    case 2:
      return { ...acme, kind: kindCode('PROCESS'), data: imprint(2, i), imprints: [[HOT, 'input']] };
    case 3:
      return { ...acme, kind: kindCode('PROCESS'), data: HOT, imprints: [[HOT, 'output']] };
    default:
      return { ...acme, kind: kindCode('STORE'), data: imprint(4, i), imprints: [] };
  }
});

/** What GetHistory owes `tenant`: its events naming HOT and TRANSFERs to it, in order, with roles. */
function expected(tenant: string, fromUs = 0, toUs = Number.MAX_SAFE_INTEGER): string[] {
  return EVENTS.filter(
    (e) =>
      (e.tenant === tenant || (e.kind === kindCode('TRANSFER') && e.to === tenant)) &&
      (e.data.equals(HOT) || e.imprints.length > 0) &&
      e.receivedAt >= fromUs &&
      e.receivedAt < toUs,
  )
    .sort((a, b) => a.receivedAt - b.receivedAt || a.seq - b.seq)
    .map((e) => {
      const roles = [...(e.data.equals(HOT) ? ['data'] : []), ...e.imprints.map(([, role]) => role)];
      return `${e.seq} ${roles.sort().join(',')}`;
    });
}

const entry = (row: HistoryRow) => `${row.event.streamSeq} ${row.role}`;
const cursorOf = (row: HistoryRow): OldestFirstCursor => ({
  receivedAt: row.receivedAt,
  streamSeq: row.event.streamSeq,
  position: row.event.position,
});

/** Every page of `size` of the tenant's history, each from the last entry of the one before. */
async function allPages(tenant: string, size: number, fromUs = 0, toUs = 0): Promise<string[][]> {
  const pages: string[][] = [];
  let after: OldestFirstCursor | undefined;
  for (;;) {
    const rows = await historyOf(earlier.pool, HOT, tenant, {
      fromUs,
      toUs,
      after,
      offset: 0,
      limit: size + 1,
    });
    const page = rows.slice(0, size);
    pages.push(page.map(entry));
    const last = page.at(-1);
    if (rows.length <= size || last === undefined) return pages;
    after = cursorOf(last);
  }
}

describe('migration 10: custody history in keyset pages (real Postgres)', () => {
  it('gives the input and output rows their event time, and pages a hot imprint by reading only its pages', async () => {
    await earlier.pool.query(
      `INSERT INTO ${SCHEMA}.events (stream_seq, position, shard, tenant, event_id, kind, data, to_tenant,
         received_at_us, canonical, leaf_hash, actor, submitter)
       SELECT t.seq, 0, 0, t.tenant, int8send(t.seq) || '\\x0000000000000000'::bytea, t.kind, t.data,
         t.to_tenant, t.received, '\\x01'::bytea, '\\x02'::bytea, 'a', 'a'
       FROM unnest($1::int8[], $2::text[], $3::int2[], $4::bytea[], $5::text[], $6::int8[])
         AS t(seq, tenant, kind, data, to_tenant, received)`,
      [
        EVENTS.map((e) => e.seq),
        EVENTS.map((e) => e.tenant),
        EVENTS.map((e) => e.kind),
        EVENTS.map((e) => e.data),
        EVENTS.map((e) => e.to),
        EVENTS.map((e) => e.receivedAt),
      ],
    );
    const imprints = EVENTS.flatMap((e) => e.imprints.map(([data, role]) => ({ seq: e.seq, data, role })));
    await earlier.pool.query(
      `INSERT INTO ${SCHEMA}.event_imprints (imprint, role, stream_seq, position)
       SELECT t.imprint, t.role, t.seq, 0 FROM unnest($1::bytea[], $2::text[], $3::int8[]) AS t(imprint, role, seq)`,
      [imprints.map((i) => i.data), imprints.map((i) => i.role), imprints.map((i) => i.seq)],
    );

    await prepareProjection(earlier.pool);

    // Each input and output row has its event's received time, and the key orders by it.
    const times = await earlier.pool.query(
      `SELECT count(*) FILTER (WHERE i.received_at_us = e.received_at_us)::int AS same, count(*)::int AS rows
       FROM ${SCHEMA}.event_imprints i JOIN ${SCHEMA}.events e USING (stream_seq, position)`,
    );
    expect(times.rows[0]).toEqual({ same: imprints.length, rows: imprints.length });
    const key = await earlier.pool.query(
      `SELECT pg_get_indexdef(indexrelid) AS def FROM pg_index
       WHERE indrelid = '${SCHEMA}.event_imprints'::regclass AND indisprimary`,
    );
    expect(String(key.rows[0]?.def)).toMatch(/\(imprint, role, received_at_us, stream_seq, "position"\)/);

    // Page by page, each tenant gets exactly its history, in order, with its roles.
    const acme = expected('acme');
    expect(acme.length).toBeGreaterThan(250);
    expect(acme).toContain(`${EVENTS[3]?.seq} data,output`);
    for (const size of [1, 7, 1000]) expect((await allPages('acme', size)).flat()).toEqual(acme);
    expect((await allPages('beta', 9)).flat()).toEqual(expected('beta'));
    // Within a time range, and as an offset (the token of a verifier before migration 10).
    const [fromUs, toUs] = [BASE_US + 20_000, BASE_US + 90_000];
    expect((await allPages('acme', 5, fromUs, toUs)).flat()).toEqual(expected('acme', fromUs, toUs));
    const offset = await historyOf(earlier.pool, HOT, 'acme', {
      fromUs: 0,
      toUs: 0,
      after: undefined,
      offset: 140,
      limit: 8,
    });
    expect(offset.map(entry)).toEqual(acme.slice(140, 148));

    // A page deep into the history: each index scan stops after the page's rows (the first a data
    // branch of each kind, the input and output branches), none reads the imprint's ~290 rows.
    const before = await historyOf(earlier.pool, HOT, 'acme', {
      fromUs: 0,
      toUs: 0,
      after: undefined,
      offset: 0,
      limit: 200,
    });
    const deep = before.at(-1);
    if (deep === undefined) throw new Error('the history has 200 entries');
    // With the statistics autovacuum may or may not have gathered by now: the plan is then the same.
    await earlier.pool.query(`ANALYZE ${SCHEMA}.events, ${SCHEMA}.event_imprints`);
    const nodes = await executedPlan(earlier.pool, (explaining) =>
      historyOf(explaining, HOT, 'acme', { fromUs: 0, toUs: 0, after: cursorOf(deep), offset: 0, limit: 9 }),
    );
    const scans = nodes.filter((n) => n['Index Name'] !== undefined);
    const branches = scans.filter((n) =>
      ['events_data', 'event_imprints_pkey'].includes(n['Index Name'] ?? ''),
    );
    expect(branches.map((n) => n['Index Name']).sort()).toEqual([
      ...Array(2).fill('event_imprints_pkey'),
      ...Array(6).fill('events_data'),
    ]);
    expect(nodes.some((n) => n['Node Type'] === 'Seq Scan')).toBe(false);
    // What each branch read: at most the page's 9 rows it kept, and beta's it passed over among them
    // (in the ACCESS branch, 5 of beta's for every 7 of acme's): never more than twice the page.
    for (const branch of branches) expect(rowsRead(branch)).toBeLessThanOrEqual(2 * 9);
  });
});
