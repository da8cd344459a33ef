// GetLineage's level query on a hot imprint (real Postgres): 360 events name one imprint as a PROCESS
// input or output or as a TRANSFER's data, for two tenants, with shared received times and stream
// order unlike time order. For each way, tenant, limit and set of ids already seen, the level gives
// exactly the events the rule says (each event once, the tenant's own row first, the first `limit`
// by received time and stream position), reading per scan no more than the limit — and, when an
// event id has a second visible row (an id reused by another tenant's TRANSFER), the same answer
// through the full statement.
import { kindCode } from '@msi/core';
import type { Pool } from '@msi/postgres';
import { describe, expect, it } from 'vitest';
import { lineageLevel } from './lineage-store.js';
import type { Way } from './lineage-walk.js';
import { useProjectionAt } from './projection-at.test-helper.js';
import {
  type StoredEvent as BaseEvent,
  executedPlan,
  rowsRead,
  testImprint,
} from './query-plan.test-helper.js';
import { MIGRATIONS, SCHEMA } from './schema.js';

// The projection as every migration leaves it.
const projection = useProjectionAt('verifier_lineage_level', MIGRATIONS.length);

const imprint = testImprint;
const HOT = imprint(0xff, 0);
const OTHER = imprint(0xfe, 0);
const BASE_US = 1_700_000_000_000_000;

const idOf = (i: number) => {
  const id = Buffer.alloc(16);
  id.writeUInt32BE(i, 12);
  return id;
};

/** An event with its id (the rule keeps each id once). */
interface StoredEvent extends BaseEvent {
  readonly id: Buffer;
}

/**
 * Event i (0 … 359): message 1 + (7i mod 360), received at BASE + ⌊i/4⌋ ms. By i mod 6: 0 acme's
 * PROCESS with HOT as input, 1 acme's PROCESS with HOT as output, 2 acme's TRANSFER of HOT to beta,
 * 3 beta's PROCESS with HOT as input, 4 beta's TRANSFER of HOT to acme, 5 acme's STORE of another
 * imprint. Every PROCESS also names OTHER, so a frontier of both finds each event once.
 */
const BASE_EVENTS: readonly StoredEvent[] = Array.from({ length: 360 }, (_, i): StoredEvent => {
  const common = {
    seq: 1 + ((7 * i) % 360),
    id: idOf(i),
    receivedAt: BASE_US + Math.floor(i / 4) * 1000,
    to: '',
  };
  const process = (tenant: string, role: 'input' | 'output'): StoredEvent => ({
    ...common,
    tenant,
    kind: kindCode('PROCESS'),
    data: imprint(1, i),
    imprints: [
      [HOT, role],
      [OTHER, role],
    ],
  });
  const transfer = (tenant: string, to: string): StoredEvent => ({
    ...common,
    tenant,
    kind: kindCode('TRANSFER'),
    data: HOT,
    to,
    imprints: [],
  });
  switch (i % 6) {
    case 0:
      return process('acme', 'input');
    case 1:
      return process('acme', 'output');
    case 2:
      return transfer('acme', 'beta');
    case 3:
      return process('beta', 'input');
    case 4:
      return transfer('beta', 'acme');
    default:
      return { ...common, tenant: 'acme', kind: kindCode('STORE'), data: imprint(2, i), imprints: [] };
  }
});

/** beta's TRANSFER to acme early on, reusing the id of acme's own PROCESS event 300 (received later). */
const COPY: StoredEvent = {
  seq: 1000,
  id: idOf(300),
  tenant: 'beta',
  kind: kindCode('TRANSFER'),
  data: HOT,
  to: 'acme',
  receivedAt: BASE_US - 1000,
  imprints: [],
};

/** What a level owes `tenant`, by the rule, as "seq" strings in order. */
function expected(
  events: readonly StoredEvent[],
  frontier: readonly Buffer[],
  way: Way,
  tenant: string,
  seen: readonly Buffer[],
  limit: number,
): number[] {
  const role = way === 'up' ? 'output' : 'input';
  const names = (e: StoredEvent) =>
    e.kind === kindCode('TRANSFER')
      ? frontier.some((f) => f.equals(e.data))
      : e.kind === kindCode('PROCESS') &&
        e.imprints.some(([x, r]) => r === role && frontier.some((f) => f.equals(x)));
  const visible = (e: StoredEvent) =>
    e.tenant === tenant || (e.kind === kindCode('TRANSFER') && e.to === tenant);
  const chosen = new Map<string, StoredEvent>();
  for (const e of events) {
    if (!names(e) || !visible(e) || seen.some((s) => s.equals(e.id))) continue;
    const key = e.id.toString('hex');
    const kept = chosen.get(key);
    const prefer = (a: StoredEvent, b: StoredEvent) =>
      Number(b.tenant === tenant) - Number(a.tenant === tenant) || a.seq - b.seq;
    if (kept === undefined || prefer(e, kept) < 0) chosen.set(key, e);
  }
  return [...chosen.values()]
    .sort((a, b) => a.receivedAt - b.receivedAt || a.seq - b.seq)
    .slice(0, limit)
    .map((e) => e.seq);
}

async function store(events: readonly StoredEvent[]): Promise<void> {
  await projection.pool.query(
    `INSERT INTO ${SCHEMA}.events (stream_seq, position, shard, tenant, event_id, kind, data, to_tenant,
       received_at_us, canonical, leaf_hash, actor, submitter)
     SELECT t.seq, 0, 0, t.tenant, t.id, t.kind, t.data, t.to_tenant, t.received, int8send(t.seq), '\\x02'::bytea, 'a', 'a'
     FROM unnest($1::int8[], $2::bytea[], $3::text[], $4::int2[], $5::bytea[], $6::text[], $7::int8[])
       AS t(seq, id, tenant, kind, data, to_tenant, received)`,
    [
      events.map((e) => e.seq),
      events.map((e) => e.id),
      events.map((e) => e.tenant),
      events.map((e) => e.kind),
      events.map((e) => e.data),
      events.map((e) => e.to),
      events.map((e) => e.receivedAt),
    ],
  );
  const rows = events.flatMap((e) => e.imprints.map(([x, role]) => ({ e, x, role })));
  await projection.pool.query(
    `INSERT INTO ${SCHEMA}.event_imprints (imprint, role, stream_seq, position, received_at_us)
     SELECT t.imprint, t.role, t.seq, 0, t.received FROM unnest($1::bytea[], $2::text[], $3::int8[], $4::int8[])
       AS t(imprint, role, seq, received)`,
    [
      rows.map((r) => r.x),
      rows.map((r) => r.role),
      rows.map((r) => r.e.seq),
      rows.map((r) => r.e.receivedAt),
    ],
  );
}

/** The level's events (their message numbers, from the canonical bytes stored) and the statements run. */
async function level(
  frontier: readonly Buffer[],
  way: Way,
  tenant: string,
  seen: readonly Buffer[],
  limit: number,
): Promise<{ seqs: number[]; statements: string[] }> {
  const statements: string[] = [];
  const counting = {
    query: (config: { name: string; text: string; values: unknown[] }) => {
      statements.push(config.name);
      return projection.pool.query(config);
    },
  } as unknown as Pool;
  const rows = await lineageLevel(counting, tenant)(frontier, way, seen, limit);
  return { seqs: rows.map((r) => Number(Buffer.from(r.canonical).readBigInt64BE())), statements };
}

describe("GetLineage's level on a hot imprint (real Postgres)", () => {
  it('gives the rule’s events in one bounded statement, and the same through the full one when an id has copies', async () => {
    await store(BASE_EVENTS);
    const seen = [idOf(0), idOf(4), idOf(13), idOf(100)];
    const cases: [Buffer[], Way, string, Buffer[], number][] = [];
    for (const frontier of [[HOT], [HOT, OTHER]])
      for (const way of ['up', 'down'] as const)
        for (const tenant of ['acme', 'beta'])
          for (const limit of [1, 7, 50, 1000])
            cases.push([frontier, way, tenant, limit === 7 ? seen : [], limit]);
    for (const [frontier, way, tenant, seenIds, limit] of cases) {
      const got = await level(frontier, way, tenant, seenIds, limit);
      expect(got.seqs, `${way} ${tenant} ${limit}`).toEqual(
        expected(BASE_EVENTS, frontier, way, tenant, seenIds, limit),
      );
      expect(got.statements).toEqual(['verifier_lineage_level_v2']);
    }
    expect(expected(BASE_EVENTS, [HOT], 'down', 'acme', [], 1000).length).toBeGreaterThan(100);

    // A hot imprint's level reads, per index scan, the limit's rows it keeps and beta's it passes over
    // among them (one PROCESS of beta's naming HOT as input for each of acme's): at most three times
    // the limit, not the imprint's 120 PROCESS rows and 120 TRANSFERs.
    // With the statistics autovacuum may or may not have gathered by now: the plan is then the same.
    await projection.pool.query(`ANALYZE ${SCHEMA}.events, ${SCHEMA}.event_imprints`);
    const nodes = await executedPlan(projection.pool, (explaining) =>
      lineageLevel(explaining, 'acme')([HOT], 'down', [], 5),
    );
    const scans = nodes.filter(
      (n) => n['Index Name'] === 'events_data' || n['Index Name'] === 'event_imprints_pkey',
    );
    expect(scans.map((n) => n['Index Name']).sort()).toEqual(['event_imprints_pkey', 'events_data']);
    expect(nodes.some((n) => n['Node Type'] === 'Seq Scan')).toBe(false);
    for (const scan of scans) expect(rowsRead(scan)).toBeLessThanOrEqual(3 * 5);

    // An id with two visible rows: the level is read again in full, and acme's own row wins.
    await store([COPY]);
    const events = [...BASE_EVENTS, COPY];
    for (const [way, limit] of [
      ['down', 1],
      ['down', 30],
      ['up', 1],
      ['up', 1000],
    ] as const) {
      const got = await level([HOT], way, 'acme', [], limit);
      expect(got.seqs, `${way} ${limit}`).toEqual(expected(events, [HOT], way, 'acme', [], limit));
      expect(got.statements).toEqual(['verifier_lineage_level_v2', 'verifier_lineage_level']);
    }
    // Going down, acme's own PROCESS (HOT as its input) is the id's row; going up, only the copy names HOT.
    expect(expected(events, [HOT], 'down', 'acme', [], 1000)).toContain(BASE_EVENTS[300]?.seq);
    expect(expected(events, [HOT], 'down', 'acme', [], 1000)).not.toContain(COPY.seq);
    expect(expected(events, [HOT], 'up', 'acme', [], 1)).toEqual([COPY.seq]);
  });
});
