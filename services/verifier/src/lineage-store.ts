import { kindCode } from '@msi/core';
import { type Pool, toBytes, toOptionalSafeInteger } from '@msi/postgres';
import type { LineageEventRow, LineageLevel } from './lineage-walk.js';
import { VISIBLE } from './receipt-store.js';
import { SCHEMA } from './schema.js';

/** The imprint role of a PROCESS event that links into (`up`) or out of (`down`) the frontier. */
const PROCESS_ROLE = { up: 'output', down: 'input' } as const;

/**
 * GetLineage's level query over the projection (walkLineage's port), for `tenant`: one statement per
 * level — the frontier's imprints by index (a PROCESS event's inputs and outputs in event_imprints, a
 * TRANSFER's data on its row: index events_data), each event once (the tenant's own row
 * first, then the earliest anchored copy, as findEvents), with the round of its seal when the seal
 * is in a verified round.
 */
export function lineageLevel(db: Pool, tenant: string): LineageLevel {
  return async (frontier, way, seen, limit) => {
    const { rows } = await db.query({
      name: 'verifier_lineage_level',
      text: `SELECT * FROM (
         SELECT DISTINCT ON (e.event_id) e.event_id, e.stream_seq, e.position, e.canonical, e.received_at_us, a.k
         FROM (SELECT stream_seq, position, $3::int2 AS kind FROM ${SCHEMA}.event_imprints
                 WHERE imprint = ANY($1::bytea[]) AND role = $4::text
               UNION ALL
               SELECT stream_seq, position, kind FROM ${SCHEMA}.events
                 WHERE data = ANY($1::bytea[]) AND kind = $5::int2) i
         JOIN ${SCHEMA}.sealed_events e ON e.stream_seq = i.stream_seq AND e.position = i.position
           AND e.kind = i.kind
         LEFT JOIN LATERAL (
           SELECT rs.k FROM ${SCHEMA}.seals s
           JOIN ${SCHEMA}.round_seals rs ON rs.seal_seq = s.stream_seq
           JOIN ${SCHEMA}.rounds r ON r.k = rs.k AND r.verified
           WHERE s.stream_seq = e.seal_seq AND s.verified ORDER BY rs.k LIMIT 1) a ON true
         WHERE ${VISIBLE}
           AND NOT (e.event_id = ANY($6::bytea[]))
         ORDER BY e.event_id, (e.tenant = $2::text) DESC, (e.seal_seq IS NULL), e.stream_seq, e.position
       ) t ORDER BY t.received_at_us, t.stream_seq, t.position LIMIT $7::int4`,
      values: [
        frontier.map((f) => Buffer.from(f)),
        tenant,
        kindCode('PROCESS'),
        PROCESS_ROLE[way],
        kindCode('TRANSFER'),
        seen.map((s) => Buffer.from(s)),
        limit,
      ],
    });
    return rows.map(
      (r): LineageEventRow => ({
        eventId: toBytes(r.event_id, 'event_id'),
        canonical: toBytes(r.canonical, 'canonical'),
        round: toOptionalSafeInteger(r.k, 'k'),
      }),
    );
  };
}
