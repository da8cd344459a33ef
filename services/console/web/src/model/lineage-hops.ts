import { type DataEvent, formatUuid, type ReceiptFailureCode } from '@msi/core';
import type { LineageHopJson } from '../../../src/api-types.js';
import type { ReceiptVerdict } from './receipt-check.js';

/** Codes of a link whose receipt verified but does not back the server's listing of it. */
export type LinkMismatchCode = 'NOT_THE_LINK' | 'ROUND_MISMATCH';

/** One link of a GetLineage walk, judged here: only a valid one is drawn in the graph. */
export interface LineageHopRow {
  readonly status: 'valid' | 'invalid' | 'unanchored';
  readonly code?: ReceiptFailureCode | LinkMismatchCode;
  readonly message?: string;
  /** The server's listing (shown as unverified unless the row is valid). */
  readonly hop: LineageHopJson;
  /** The event the link's verified receipt proves (valid rows only): the edge is drawn from it. */
  readonly event?: DataEvent;
}

/**
 * Judges a lineage walk (hostile input): a link is valid only when its receipt verifies here (or its
 * event was already verified in this page, `known`: the history's valid rows), the verified event is
 * the listed one (same id, PROCESS or TRANSFER as listed) and, for a receipt, in the round listed.
 * `checks[i]` is the verdict on hop i's receipt (undefined when it has none or its event is known).
 */
export function judgeLineageHops(
  hops: readonly LineageHopJson[],
  checks: readonly (ReceiptVerdict | undefined)[],
  known: ReadonlyMap<string, DataEvent>,
): LineageHopRow[] {
  return hops.map((hop, i) => {
    const already = known.get(hop.eventId);
    if (already !== undefined) return sameLink(hop, already);
    const check = checks[i];
    if (!hop.anchored || hop.receiptJson === null || check === undefined)
      return { status: 'unanchored', hop };
    if (!check.ok) return { status: 'invalid', code: check.code, message: check.message, hop };
    if (check.version !== 1) {
      return { status: 'invalid', code: 'NOT_THE_LINK', message: 'an aggregated receipt', hop };
    }
    const row = sameLink(hop, check.event);
    if (row.status === 'valid' && hop.round !== String(check.round)) {
      return { ...row, status: 'invalid', code: 'ROUND_MISMATCH', message: `listed in round ${hop.round}` };
    }
    return row;
  });
}

function sameLink(hop: LineageHopJson, event: DataEvent): LineageHopRow {
  const id = formatUuid(event.eventId);
  if (id !== hop.eventId) {
    return { hop, status: 'invalid', code: 'NOT_THE_LINK', message: `the receipt proves event ${id}` };
  }
  if (event.kind !== hop.kind) {
    return { hop, status: 'invalid', code: 'NOT_THE_LINK', message: `the event is a ${event.kind}` };
  }
  return { hop, status: 'valid', event };
}
