import { type Pool, toBytes, toSafeInteger, toText } from '@msi/postgres';
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

/** Where a page of anchoredEvents ended: the next page starts after it. */
export interface AnchoredCursor {
  readonly k: number;
  readonly sealPosition: number;
  readonly leafIndex: number;
}

// The events of the verified seals of the verified rounds in [$1, $2), in the round's order (seal
// position, then leaf index), visible to tenant $3 as GetReceipt sees them (its own, or a TRANSFER
// to it), after the cursor ($4, $5, $6), at most $7. A round's seals come from round_seals, a seal's
// events from the events of its shard in its stream range (index events_shard_seq): a bulk read per
// round, never a query per event. With ids ($8), the events come from the index on event_id instead.
const SELECT_ANCHORED = `SELECT rs.k, rs.position AS seal_position, s.record AS seal_record, s.leaf_count,
    e.event_id, e.stream_seq, e.position, e.tenant, e.canonical, e.seal_seq, e.leaf_index
  FROM ${SCHEMA}.round_seals rs
  JOIN ${SCHEMA}.rounds r ON r.k = rs.k AND r.verified
  JOIN ${SCHEMA}.seals s ON s.stream_seq = rs.seal_seq AND s.verified
  JOIN ${SCHEMA}.sealed_events e ON e.shard = s.shard AND e.stream_seq >= s.stream_start
    AND e.stream_seq < s.stream_end AND e.seal_seq = s.stream_seq
  WHERE rs.k >= $1 AND rs.k < $2 AND (e.tenant = $3 OR (e.kind = 1 AND e.to_tenant = $3))
    AND (rs.k, rs.position, e.leaf_index) > ($4, $5, $6)`;
const ORDER = 'ORDER BY rs.k, rs.position, e.leaf_index LIMIT $7';
const TENANT_EVENTS = `${SELECT_ANCHORED} ${ORDER}`;
const LISTED_EVENTS = `${SELECT_ANCHORED} AND e.event_id = ANY($8::bytea[]) ${ORDER}`;

/**
 * One page of the events anchored in rounds [from, to) that `tenant` may see (all of them, or those
 * of `ids`), after `after`. Their rows carry the seal and round (`anchor`), so assembling their
 * receipts needs no query per event.
 */
export async function anchoredEvents(
  db: Pool,
  range: { readonly from: number; readonly to: number },
  tenant: string,
  ids: readonly Uint8Array[] | undefined,
  after: AnchoredCursor | undefined,
  limit: number,
): Promise<AnchoredEventRow[]> {
  const values: unknown[] = [
    range.from,
    range.to,
    tenant,
    after?.k ?? -1,
    after?.sealPosition ?? -1,
    after?.leafIndex ?? -1,
    limit,
  ];
  const { rows } =
    ids === undefined
      ? await db.query({ name: 'verifier_tenant_anchored_events', text: TENANT_EVENTS, values })
      : await db.query({
          name: 'verifier_listed_anchored_events',
          text: LISTED_EVENTS,
          values: [...values, ids.map((id) => Buffer.from(id))],
        });
  return rows.map(anchoredRow);
}

function anchoredRow(r: Record<string, unknown>): AnchoredEventRow {
  const k = toSafeInteger(r.k, 'k');
  const sealPosition = toSafeInteger(r.seal_position, 'seal_position');
  return {
    eventId: toBytes(r.event_id, 'event_id'),
    k,
    sealPosition,
    streamSeq: toSafeInteger(r.stream_seq, 'stream_seq'),
    position: toSafeInteger(r.position, 'position'),
    tenant: toText(r.tenant, 'tenant'),
    canonical: toBytes(r.canonical, 'canonical'),
    sealSeq: toSafeInteger(r.seal_seq, 'seal_seq'),
    leafIndex: toSafeInteger(r.leaf_index, 'leaf_index'),
    anchor: {
      sealRecord: toBytes(r.seal_record, 'seal_record'),
      leafCount: toSafeInteger(r.leaf_count, 'leaf_count'),
      k,
      position: sealPosition,
    },
  };
}
