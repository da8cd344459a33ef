import { kindCode } from '@msi/core';
import { type Pool, toBytes, toOptionalSafeInteger } from '@msi/postgres';
import type { LineageEventRow, LineageLevel } from './lineage-walk.js';
import { VISIBLE } from './receipt-store.js';
import { SCHEMA } from './schema.js';

/** The imprint role of a PROCESS event that links into (`up`) or out of (`down`) the frontier. */
const PROCESS_ROLE = { up: 'output', down: 'input' } as const;

// Parameters of both statements: $1 the frontier's imprints, $2 the tenant, $3 PROCESS, $4 the role
// of a PROCESS event's imprint, $5 TRANSFER, $6 the event ids seen, $7 the limit.

/** Each event once: the tenant's own row first, then the earliest anchored copy (as findEvents). */
const EACH_EVENT_ONCE = `ORDER BY e.event_id, (e.tenant = $2::text) DESC, (e.seal_seq IS NULL), e.stream_seq, e.position`;

/** The round that anchors each row's seal, when the seal is in a verified round (column k). */
const ANCHORING_ROUND = `LEFT JOIN LATERAL (
           SELECT rs.k FROM ${SCHEMA}.seals s
           JOIN ${SCHEMA}.round_seals rs ON rs.seal_seq = s.stream_seq
           JOIN ${SCHEMA}.rounds r ON r.k = rs.k AND r.verified
           WHERE s.stream_seq = e.seal_seq AND s.verified ORDER BY rs.k LIMIT 1) a ON true`;

/** The order of the level's events, and the cut. */
const FIRST_EVENTS = `ORDER BY t.received_at_us, t.stream_seq, t.position LIMIT $7::int4`;

// The bounded statement. For each imprint of the frontier, two ordered index scans (its PROCESS
// rows of the role in event_imprints, its TRANSFERs on the event rows: both indexes are in
// (received_at, stream position) order since migration 10) keep the first $7 visible rows not seen,
// so a level costs at most 2 × $7 rows per imprint, whatever the imprint's history holds. Each
// PROCESS row's event is looked up by its key (a LATERAL that OFFSET 0 keeps from being flattened
// into a join): for a hot imprint the planner otherwise joined all its rows by hash and sorted them.
// When no event id among those candidates has a second visible row (`copies` false: one lookup by
// the index on event_id per candidate), that is exact: a row beyond a scan's cut has $7 distinct
// events before it in that scan. Otherwise an event's preferred row may lie beyond a cut, and the
// caller asks the full statement.
const BOUNDED = `WITH candidates AS MATERIALIZED (
     SELECT DISTINCT c.stream_seq, c.position, c.event_id FROM unnest($1::bytea[]) AS f(imprint)
     CROSS JOIN LATERAL (
       (SELECT e.stream_seq, e.position, e.event_id FROM ${SCHEMA}.event_imprints i
          CROSS JOIN LATERAL (SELECT e.stream_seq, e.position, e.event_id FROM ${SCHEMA}.events e
            WHERE e.stream_seq = i.stream_seq AND e.position = i.position AND e.kind = $3::int2 AND ${VISIBLE}
              AND NOT (e.event_id = ANY($6::bytea[])) OFFSET 0) e
          WHERE i.imprint = f.imprint AND i.role = $4::text
          ORDER BY i.received_at_us, i.stream_seq, i.position LIMIT $7::int4)
       UNION ALL
       (SELECT e.stream_seq, e.position, e.event_id FROM ${SCHEMA}.events e
          WHERE e.data = f.imprint AND e.kind = $5::int2 AND ${VISIBLE}
            AND NOT (e.event_id = ANY($6::bytea[]))
          ORDER BY e.received_at_us, e.stream_seq, e.position LIMIT $7::int4)) c)
   SELECT t.*, EXISTS (
       SELECT 1 FROM (SELECT DISTINCT event_id FROM candidates) c
       CROSS JOIN LATERAL (SELECT count(*) AS rows FROM ${SCHEMA}.events e
         WHERE e.event_id = c.event_id AND ${VISIBLE}) k
       WHERE k.rows > 1) AS copies
   FROM (
     SELECT DISTINCT ON (e.event_id) e.event_id, e.stream_seq, e.position, e.canonical, e.received_at_us, a.k
     FROM candidates c
     JOIN ${SCHEMA}.sealed_events e ON e.stream_seq = c.stream_seq AND e.position = c.position
     ${ANCHORING_ROUND}
     ${EACH_EVENT_ONCE}
   ) t ${FIRST_EVENTS}`;

// The full statement: every row naming the frontier, each event once, then the first $7.
const FULL = `SELECT * FROM (
     SELECT DISTINCT ON (e.event_id) e.event_id, e.stream_seq, e.position, e.canonical, e.received_at_us, a.k
     FROM (SELECT stream_seq, position, $3::int2 AS kind FROM ${SCHEMA}.event_imprints
             WHERE imprint = ANY($1::bytea[]) AND role = $4::text
           UNION ALL
           SELECT stream_seq, position, kind FROM ${SCHEMA}.events
             WHERE data = ANY($1::bytea[]) AND kind = $5::int2) i
     JOIN ${SCHEMA}.sealed_events e ON e.stream_seq = i.stream_seq AND e.position = i.position
       AND e.kind = i.kind
     ${ANCHORING_ROUND}
     WHERE ${VISIBLE}
       AND NOT (e.event_id = ANY($6::bytea[]))
     ${EACH_EVENT_ONCE}
   ) t ${FIRST_EVENTS}`;

/**
 * GetLineage's level query over the projection (walkLineage's port), for `tenant`: the visible
 * events naming an imprint of the frontier (a PROCESS event's inputs or outputs in event_imprints, a
 * TRANSFER's data on its row), each event once (the tenant's own row first, then the earliest
 * anchored copy, as findEvents), none of `seen`, the first `limit` by (received_at, stream position),
 * with the round of its seal when the seal is in a verified round. One bounded statement, which reads
 * at most 2 × limit rows per imprint of the frontier; only when an event id among what it read has
 * more than one visible row (ids reused across tenants, one side a TRANSFER) is the level read again
 * by the full statement, which reads every row naming the frontier.
 */
export function lineageLevel(db: Pool, tenant: string): LineageLevel {
  return async (frontier, way, seen, limit) => {
    const values = [
      frontier.map((f) => Buffer.from(f)),
      tenant,
      kindCode('PROCESS'),
      PROCESS_ROLE[way],
      kindCode('TRANSFER'),
      seen.map((s) => Buffer.from(s)),
      limit,
    ];
    const bounded = await db.query({ name: 'verifier_lineage_level_v2', text: BOUNDED, values });
    const exact = bounded.rows.every((r) => r.copies === false);
    const { rows } = exact ? bounded : await db.query({ name: 'verifier_lineage_level', text: FULL, values });
    return rows.map(
      (r): LineageEventRow => ({
        eventId: toBytes(r.event_id, 'event_id'),
        canonical: toBytes(r.canonical, 'canonical'),
        round: toOptionalSafeInteger(r.k, 'k'),
      }),
    );
  };
}
