// anchoredEventPages on a projection written row by row (real Postgres): walking a tenant's rounds
// seal by seal, in pages of any size, gives exactly the rows, in exactly the order, that one query
// over the whole range sorted by (round, seal position, leaf index) gives — unverified rounds and
// seals, other shards' messages in a seal's range, messages with missing positions, TRANSFERs to
// the tenant and other tenants' events included; listed ids likewise. On the same rows, findEvents
// (GetReceipt's lookups) answers each request with the caller's own copy first, then the earliest.
import { createPool, type Pool } from '@msi/postgres';
import { createFreshDatabase, type FreshDatabase, testServerUrls } from '@msi/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareProjection } from './projection-store.js';
import { findEvents } from './receipt-store.js';
import { anchoredEventPages } from './round-receipts.js';
import { SCHEMA } from './schema.js';

let database: FreshDatabase;
let pool: Pool;

/** A seal: its stream seq, shard, stream range [start, end), and the messages (seq → positions) it seals. */
interface SealSpec {
  seq: number;
  shard: number;
  start: number;
  end: number;
  verified: boolean;
  messages: Record<number, number[]>;
}
/** Rounds: k, verified, seals by position. */
const ROUNDS: { k: number; verified: boolean; seals: number[] }[] = [
  { k: 0, verified: true, seals: [1000, 1001] },
  { k: 1, verified: false, seals: [1002] },
  { k: 2, verified: true, seals: [1003, 1004, 1005] },
  { k: 3, verified: true, seals: [1006] },
];
const SEALS: SealSpec[] = [
  // shard 0 and shard 1 interleave on the stream: a seal's range holds the other shard's messages too
  { seq: 1000, shard: 0, start: 1, end: 5, verified: true, messages: { 1: [0, 1, 2], 3: [0, 1, 2, 3] } },
  { seq: 1001, shard: 1, start: 2, end: 5, verified: true, messages: { 2: [0, 1], 4: [0, 2, 5] } },
  { seq: 1002, shard: 0, start: 5, end: 7, verified: true, messages: { 5: [0, 1] } },
  { seq: 1003, shard: 1, start: 6, end: 9, verified: true, messages: { 6: [0, 1, 2, 3, 4], 8: [1, 3] } },
  { seq: 1004, shard: 0, start: 7, end: 10, verified: false, messages: { 7: [0, 1], 9: [0] } },
  {
    seq: 1005,
    shard: 0,
    start: 10,
    end: 12,
    verified: true,
    messages: { 10: [0, 1, 2, 3, 4, 5, 6], 11: [0] },
  },
  { seq: 1006, shard: 1, start: 12, end: 13, verified: true, messages: { 12: [0, 1, 2, 3, 4, 5, 6] } },
];
/** Whose event each (stream_seq, position) is: acme's, beta's, or beta's TRANSFER to acme. */
const owner = (seq: number, position: number): { tenant: string; kind: number; to: string } => {
  if ((seq + position) % 5 === 0) return { tenant: 'beta', kind: 1, to: 'acme' };
  if ((seq * 7 + position) % 4 === 0) return { tenant: 'beta', kind: 3, to: '' };
  return { tenant: 'acme', kind: 3, to: '' };
};
const leavesOf = (sealSeq: number) =>
  Object.values(SEALS.find((s) => s.seq === sealSeq)?.messages ?? {}).flat().length;
const eventId = (seq: number, position: number) => Buffer.from(`id-${seq}-${position}`.padEnd(16, '.'));
/** The id each row carries: its own, but message 12 repeats the ids of message 10 (copies of one id). */
const idOf = (seq: number, position: number) => (seq === 12 ? eventId(10, position) : eventId(seq, position));

beforeAll(async () => {
  database = await createFreshDatabase(testServerUrls().databaseUrl, 'verifier_round_receipts');
  pool = createPool({ connectionString: database.url });
  await prepareProjection(pool);
  for (const seal of SEALS) {
    await pool.query(
      `INSERT INTO ${SCHEMA}.seals (stream_seq, shard, seal_number, record, stream_start, stream_end,
         leaf_count, root, verified, detail) VALUES ($1, $2, $1, $3, $4, $5, $6, '\\x00', $7, '')`,
      [
        seal.seq,
        seal.shard,
        Buffer.from(`seal-${seal.seq}`),
        seal.start,
        seal.end,
        leavesOf(seal.seq),
        seal.verified,
      ],
    );
    let leaf = 0;
    for (const [seq, positions] of Object.entries(seal.messages)) {
      const max = Math.max(...positions);
      const gaps = Array.from({ length: max + 1 }, (_, p) => p).filter((p) => !positions.includes(p));
      await pool.query(
        `INSERT INTO ${SCHEMA}.sealed_batches (stream_seq, seal_seq, first_leaf, gaps) VALUES ($1, $2, $3, $4)`,
        [Number(seq), seal.seq, leaf, gaps.length === 0 ? null : gaps],
      );
      leaf += positions.length;
      for (const position of positions) {
        const who = owner(Number(seq), position);
        await pool.query(
          `INSERT INTO ${SCHEMA}.events (stream_seq, position, shard, tenant, event_id, kind, data, to_tenant,
             received_at_us, canonical, leaf_hash, actor, submitter)
           VALUES ($1, $2, $3, $4, $5, $6, '\\x00', $7, 1, $8, '\\x00', 'a', 's')`,
          [
            Number(seq),
            position,
            seal.shard,
            who.tenant,
            idOf(Number(seq), position),
            who.kind,
            who.to,
            eventId(Number(seq), position),
          ],
        );
      }
    }
  }
  for (const round of ROUNDS) {
    await pool.query(
      `INSERT INTO ${SCHEMA}.rounds (k, stream_seq, record, leaf_hash, closed_at_us, seal_count, root, checkpoint,
         verified, detail) VALUES ($1, $1, $2, '\\x00', 1, $3, '\\x00', '', $4, '')`,
      [round.k, Buffer.from(`round-${round.k}`), round.seals.length, round.verified],
    );
    for (const [position, sealSeq] of round.seals.entries()) {
      await pool.query(
        `INSERT INTO ${SCHEMA}.round_seals (k, position, seal_seq, record) VALUES ($1, $2, $3, $4)`,
        [round.k, position, sealSeq, Buffer.from(`seal-${sealSeq}`)],
      );
    }
  }
});

afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

/** What the walk must give: one query over the whole range, sorted, no paging. */
async function reference(from: number, to: number, tenant: string, ids?: Buffer[]): Promise<string[]> {
  const { rows } = await pool.query(
    `SELECT rs.k, rs.position, s.record, s.leaf_count, e.stream_seq, e.position AS event_position, e.leaf_index
     FROM ${SCHEMA}.round_seals rs
     JOIN ${SCHEMA}.rounds r ON r.k = rs.k AND r.verified
     JOIN ${SCHEMA}.seals s ON s.stream_seq = rs.seal_seq AND s.verified
     JOIN ${SCHEMA}.sealed_events e ON e.shard = s.shard AND e.stream_seq >= s.stream_start
       AND e.stream_seq < s.stream_end AND e.seal_seq = s.stream_seq
     WHERE rs.k >= $1 AND rs.k < $2 AND (e.tenant = $3 OR (e.kind = 1 AND e.to_tenant = $3))
       AND ($4::bytea[] IS NULL OR e.event_id = ANY($4::bytea[]))
     ORDER BY rs.k, rs.position, e.leaf_index`,
    [from, to, tenant, ids ?? null],
  );
  return rows.map(
    (r) =>
      `k${r.k}/s${r.position} ${Buffer.from(r.record).toString()} leaves=${r.leaf_count} ` +
      `${r.stream_seq}:${r.event_position} leaf ${r.leaf_index}`,
  );
}

async function walked(
  from: number,
  to: number,
  tenant: string,
  ids: Buffer[] | undefined,
  paging: { pageRows: number; sealsPerQuery: number },
): Promise<{ rows: string[]; pages: number }> {
  const rows: string[] = [];
  let pages = 0;
  for await (const page of anchoredEventPages(pool, { from, to }, tenant, ids, paging)) {
    pages += 1;
    if (ids === undefined) expect(page.length).toBeLessThanOrEqual(paging.pageRows);
    for (const row of page) {
      expect(Buffer.from(row.eventId).equals(idOf(row.streamSeq, row.position))).toBe(true);
      expect(row.canonical).toEqual(new Uint8Array(eventId(row.streamSeq, row.position)));
      expect(row.anchor).toEqual({
        sealRecord: new Uint8Array(Buffer.from(`seal-${row.sealSeq}`)),
        leafCount: leavesOf(row.sealSeq ?? -1),
        k: row.k,
        position: row.sealPosition,
      });
      rows.push(
        `k${row.k}/s${row.sealPosition} seal-${row.sealSeq} leaves=${row.anchor?.leafCount} ` +
          `${row.streamSeq}:${row.position} leaf ${row.leafIndex}`,
      );
    }
  }
  return { rows, pages };
}

describe('anchoredEventPages (real Postgres)', () => {
  it('walks a tenant’s rounds seal by seal in the order and with the rows of one sorted query, whatever the page sizes', async () => {
    const all = await reference(0, 4, 'acme');
    // the fixture covers what it claims: TRANSFERs in, other tenants out, skipped seals and rounds
    expect(all.length).toBeGreaterThan(15);
    expect(all.some((r) => r.includes('seal-1002') || r.includes('seal-1004'))).toBe(false);
    for (const paging of [
      { pageRows: 1, sealsPerQuery: 1 },
      { pageRows: 2, sealsPerQuery: 2 },
      { pageRows: 3, sealsPerQuery: 256 },
      { pageRows: 2000, sealsPerQuery: 3 },
    ]) {
      const { rows, pages } = await walked(0, 4, 'acme', undefined, paging);
      expect(rows, JSON.stringify(paging)).toEqual(all);
      if (paging.pageRows === 1) expect(pages).toBe(all.length);
    }
    // a sub-range, and beta (whose TRANSFERs to acme are its own rows too)
    expect((await walked(2, 3, 'acme', undefined, { pageRows: 2, sealsPerQuery: 1 })).rows).toEqual(
      await reference(2, 3, 'acme'),
    );
    const beta = await reference(0, 4, 'beta');
    expect(beta.length).toBeGreaterThan(3);
    expect((await walked(0, 4, 'beta', undefined, { pageRows: 2, sealsPerQuery: 2 })).rows).toEqual(beta);
    expect((await walked(4, 9, 'acme', undefined, { pageRows: 2, sealsPerQuery: 2 })).rows).toEqual([]);
  });

  it('finds listed ids by id, in the rounds’ order, only those the tenant sees, every copy of an id', async () => {
    const ids = [eventId(12, 1), eventId(3, 2), eventId(6, 4), eventId(5, 0), eventId(9, 0), eventId(1, 0)];
    const expected = await reference(0, 4, 'acme', ids);
    expect(expected.length).toBeGreaterThan(1);
    expect(expected.length).toBeLessThan(ids.length); // unverified seals and rounds, beta's own
    for (const pageRows of [1, 2000]) {
      expect((await walked(0, 4, 'acme', ids, { pageRows, sealsPerQuery: 1 })).rows).toEqual(expected);
    }
    // message 12 repeats message 10's ids: every copy of a listed id, in order among the others
    const copied = [1, 3, 5].map((p) => eventId(10, p));
    const withCopies = await reference(0, 4, 'acme', copied);
    expect(withCopies.length).toBe(2 * copied.length);
    const { rows, pages } = await walked(0, 4, 'acme', copied, { pageRows: 1, sealsPerQuery: 1 });
    expect(rows).toEqual(withCopies);
    expect(pages).toBe(1);
    expect((await walked(0, 4, 'acme', [], { pageRows: 10, sealsPerQuery: 1 })).rows).toEqual([]);
  });
});

describe('findEvents (real Postgres)', () => {
  it('answers each request in order: the caller’s own copy first, then the earliest; none for ids it cannot see', async () => {
    const found = await findEvents(pool, [
      { eventId: eventId(10, 1), tenant: 'acme' }, // acme's own in messages 10 and 12: the earlier
      { eventId: eventId(10, 0), tenant: 'acme' }, // beta's TRANSFER to acme in 10; beta's own in 12
      { eventId: eventId(10, 0), tenant: 'beta' }, // beta's own in both: the earlier
      { eventId: eventId(10, 2), tenant: 'acme' }, // beta's own in 10, acme's own in 12: acme's
      { eventId: eventId(1, 0), tenant: 'gamma' }, // nobody gamma sees
      { eventId: eventId(1, 0).subarray(0, 15), tenant: 'acme' }, // not an event id: not sent
      { eventId: eventId(1, 0), tenant: 'acme' },
      { eventId: eventId(10, 5), tenant: 'acme' }, // a TRANSFER to acme in 10, acme's own in 12: its own
    ]);
    expect(
      found.map((row) => (row === undefined ? undefined : `${row.streamSeq}:${row.position} ${row.tenant}`)),
    ).toEqual([
      '10:1 acme',
      '10:0 beta',
      '10:0 beta',
      '12:2 acme',
      undefined,
      undefined,
      '1:0 acme',
      '12:5 acme',
    ]);
    expect(found[0]?.leafIndex).toBe(0 + 1);
    expect(await findEvents(pool, [])).toEqual([]);
  });
});
