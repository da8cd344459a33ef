import { type Pool, packedBytes, toBytes, toSafeInteger, toText } from '@msi/postgres';
import type { EventRow } from './receipt-store.js';
import { SCHEMA } from './schema.js';

/** An event of a verified seal of a verified round, visible to a tenant, with where it is anchored. */
export interface AnchoredEventRow extends EventRow {
  readonly eventId: Uint8Array;
  /** The round that anchors it. */
  readonly k: number;
  /** The seal's position in the round's tree. */
  readonly sealPosition: number;
}

/** How many rows a query of anchoredEventPages returns at most, and seals it lists per query. */
export interface AnchoredPaging {
  /** Rows per page of a tenant's rounds (default 2,000); listed ids (at most 10,000) are one page. */
  readonly pageRows?: number;
  /** Seals listed per query of a round range (default 256). */
  readonly sealsPerQuery?: number;
}

// The verified seals of the verified rounds in [$1, $2), in the rounds' order (round, then the seal's
// position in it), after ($3, $4), at most $5: a few rows per round, read through round_seals' key.
const ANCHORED_SEALS = `SELECT rs.k, rs.position, s.stream_seq, s.shard, s.stream_start, s.stream_end,
    s.record, s.leaf_count
  FROM ${SCHEMA}.round_seals rs
  JOIN ${SCHEMA}.rounds r ON r.k = rs.k AND r.verified
  JOIN ${SCHEMA}.seals s ON s.stream_seq = rs.seal_seq AND s.verified
  WHERE rs.k >= $1 AND rs.k < $2 AND (rs.k, rs.position) > ($3, $4)
  ORDER BY rs.k, rs.position LIMIT $5`;

// The events of one seal (its shard's messages in its stream range that it seals) visible to tenant
// $5 as GetReceipt sees them (its own, or a TRANSFER to it), from message $2 and after ($6, $7), in
// stream order — which is leaf order within a seal (its tree's leaf i is its i-th event row) — at most
// $8. The range starts at the page's first message, so a page reads the rows it returns (index
// events_shard_seq), not the seal's rows before it.
const SEAL_EVENTS = `SELECT e.event_id, e.stream_seq, e.position, e.tenant, e.canonical, e.seal_seq, e.leaf_index
  FROM ${SCHEMA}.sealed_events e
  WHERE e.shard = $1 AND e.stream_seq >= $2 AND e.stream_seq < $3 AND e.seal_seq = $4
    AND (e.tenant = $5 OR (e.kind = 1 AND e.to_tenant = $5)) AND (e.stream_seq, e.position) > ($6, $7)
  ORDER BY e.stream_seq, e.position LIMIT $8`;

// The events of `ids` ($4: their 16 bytes each, packed) anchored in rounds [$1, $2) and visible to
// tenant $3, unordered. The ids'
// rows are found first, each through the index on event_id, whatever the planner's statistics say (a
// fresh projection has none): the MATERIALIZED step runs once and OFFSET 0 keeps each lookup a
// lookup. So the query costs the ids it is given, whatever the rounds hold; its rows (an id has one
// per copy it has: a TRANSFER's) are put in order in memory, not sorted with their bytes by Postgres.
const LISTED_EVENTS = `WITH found AS MATERIALIZED (
    SELECT e.* FROM generate_series(0, length($4::bytea) / 16 - 1) AS q(i)
    CROSS JOIN LATERAL (SELECT * FROM ${SCHEMA}.sealed_events e
      WHERE e.event_id = substring($4::bytea FROM q.i * 16 + 1 FOR 16)
      AND e.seal_seq IS NOT NULL AND (e.tenant = $3 OR (e.kind = 1 AND e.to_tenant = $3)) OFFSET 0) e)
  SELECT rs.k, rs.position AS seal_position, s.record AS seal_record, s.leaf_count,
    e.event_id, e.stream_seq, e.position, e.tenant, e.canonical, e.seal_seq, e.leaf_index
  FROM found e
  JOIN ${SCHEMA}.seals s ON s.stream_seq = e.seal_seq AND s.verified AND e.shard = s.shard
    AND e.stream_seq >= s.stream_start AND e.stream_seq < s.stream_end
  JOIN ${SCHEMA}.round_seals rs ON rs.seal_seq = s.stream_seq
  JOIN ${SCHEMA}.rounds r ON r.k = rs.k AND r.verified
  WHERE rs.k >= $1 AND rs.k < $2`;

/**
 * The events anchored in rounds [from, to) that `tenant` may see — all of them, or those of `ids` —
 * in the rounds' order (round, seal position, leaf index), as pages of rows. Each row carries its seal
 * and round (`anchor`), so assembling its receipt needs no query per event. Every query reads about
 * the rows it returns, however many the range holds: a whole tenant's rounds are walked seal by seal
 * (a page of seals, then each seal's events by stream position), listed ids are looked up by id (one
 * query and one page for them all: the caller lists at most MAX_WATCHED_IDS).
 */
export async function* anchoredEventPages(
  db: Pool,
  range: { readonly from: number; readonly to: number },
  tenant: string,
  ids: readonly Uint8Array[] | undefined,
  paging: AnchoredPaging = {},
): AsyncGenerator<AnchoredEventRow[]> {
  const pageRows = paging.pageRows ?? 2000;
  if (ids !== undefined) {
    yield* listedPages(db, range, tenant, ids);
    return;
  }
  const sealsPerQuery = paging.sealsPerQuery ?? 256;
  let after = { k: -1, position: -1 };
  for (;;) {
    const { rows: seals } = await db.query({
      name: 'verifier_anchored_seals',
      text: ANCHORED_SEALS,
      values: [range.from, range.to, after.k, after.position, sealsPerQuery],
    });
    for (const s of seals) {
      const seal = {
        k: toSafeInteger(s.k, 'k'),
        position: toSafeInteger(s.position, 'position'),
        seq: toSafeInteger(s.stream_seq, 'stream_seq'),
        record: toBytes(s.record, 'record'),
        leafCount: toSafeInteger(s.leaf_count, 'leaf_count'),
      };
      const end = toSafeInteger(s.stream_end, 'stream_end');
      let at = { streamSeq: toSafeInteger(s.stream_start, 'stream_start'), position: -1 };
      for (;;) {
        const { rows } = await db.query({
          name: 'verifier_seal_events',
          text: SEAL_EVENTS,
          values: [s.shard, at.streamSeq, end, seal.seq, tenant, at.streamSeq, at.position, pageRows],
        });
        if (rows.length > 0)
          yield rows.map((r) =>
            anchoredRow(r, {
              k: seal.k,
              sealPosition: seal.position,
              sealRecord: seal.record,
              leafCount: seal.leafCount,
            }),
          );
        const last = rows.at(-1);
        if (last === undefined || rows.length < pageRows) break;
        at = {
          streamSeq: toSafeInteger(last.stream_seq, 'stream_seq'),
          position: toSafeInteger(last.position, 'position'),
        };
      }
      after = { k: seal.k, position: seal.position };
    }
    if (seals.length < sealsPerQuery) return;
  }
}

/** The rows of listed ids: one query, then ordered by (round, seal position, leaf index). */
async function* listedPages(
  db: Pool,
  range: { readonly from: number; readonly to: number },
  tenant: string,
  ids: readonly Uint8Array[],
): AsyncGenerator<AnchoredEventRow[]> {
  if (ids.length === 0) return;
  const { rows } = await db.query({
    name: 'verifier_listed_anchored_events_v3',
    text: LISTED_EVENTS,
    values: [range.from, range.to, tenant, packedBytes(ids, 16)],
  });
  const page = rows.map((r) =>
    anchoredRow(r, {
      k: toSafeInteger(r.k, 'k'),
      sealPosition: toSafeInteger(r.seal_position, 'seal_position'),
      sealRecord: toBytes(r.seal_record, 'seal_record'),
      leafCount: toSafeInteger(r.leaf_count, 'leaf_count'),
    }),
  );
  page.sort(
    (a, b) => a.k - b.k || a.sealPosition - b.sealPosition || (a.leafIndex ?? 0) - (b.leafIndex ?? 0),
  );
  if (page.length > 0) yield page;
}

function anchoredRow(
  r: Record<string, unknown>,
  seal: { k: number; sealPosition: number; sealRecord: Uint8Array; leafCount: number },
): AnchoredEventRow {
  return {
    eventId: toBytes(r.event_id, 'event_id'),
    k: seal.k,
    sealPosition: seal.sealPosition,
    streamSeq: toSafeInteger(r.stream_seq, 'stream_seq'),
    position: toSafeInteger(r.position, 'position'),
    tenant: toText(r.tenant, 'tenant'),
    canonical: toBytes(r.canonical, 'canonical'),
    sealSeq: toSafeInteger(r.seal_seq, 'seal_seq'),
    leafIndex: toSafeInteger(r.leaf_index, 'leaf_index'),
    anchor: {
      sealRecord: seal.sealRecord,
      leafCount: seal.leafCount,
      k: seal.k,
      position: seal.sealPosition,
    },
  };
}
