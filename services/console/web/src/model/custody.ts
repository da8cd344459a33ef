import {
  type DataEvent,
  eventNamesImprint,
  formatImprint,
  formatUuid,
  type Imprint,
  type ReceiptFailureCode,
} from '@msi/core';
import type { HistoryEntryJson } from '../../../src/api-types.js';
import type { BrowserReceiptChecker, ReceiptVerdict } from './receipt-check.js';

/** Codes of a history row whose receipt verified but does not back the server's listing. */
export type ListingMismatchCode = 'NOT_IN_EVENT' | 'ROUND_MISMATCH';

/** One row of a chain of custody, judged here: verified from its own receipt, or marked otherwise. */
export interface CustodyRow {
  readonly status: 'valid' | 'invalid' | 'unanchored';
  readonly code?: ReceiptFailureCode | ListingMismatchCode;
  readonly message?: string;
  readonly eventId: string;
  readonly kind: string;
  readonly role: string;
  readonly tenant: string;
  readonly actor: string;
  /** µs since the epoch. */
  readonly receivedAt: number;
  readonly round: number | null;
  /** The verified event (valid rows only): the graph is drawn from these, never from the listing. */
  readonly event?: DataEvent;
  /** The receipt text, for the receipt view (which checks it again to draw its proof path). */
  readonly receiptJson: string | null;
}

/** Whether a verified event names what was searched in the role the server listed it in. */
export type NamesQuery = (event: DataEvent, role: string) => boolean;

/**
 * Judges every entry of a GetHistory listing (hostile input): its receipt must verify against the
 * pinned trust, name the queried imprint in the role listed and anchor it in the round listed.
 * What a valid row shows comes from its verified receipt; other rows show the server's fields.
 * `checks[i]`, when given, is the verdict on entry i's receipt already reached (in workers:
 * verify-in-workers.ts); otherwise `checker` reaches it.
 */
export function judgeHistory(
  entries: readonly HistoryEntryJson[],
  data: Imprint,
  checker: BrowserReceiptChecker,
  checks: readonly (ReceiptVerdict | undefined)[] = [],
): CustodyRow[] {
  const names: NamesQuery = (event, role) => eventNamesImprint(event, role, data);
  return judgeEntries(entries, names, formatImprint(data), checker, checks);
}

/**
 * Judges a SearchByActor listing as judgeHistory judges a history: each receipt verified here, and
 * the verified event must carry the actor as its actor (role "actor"), submitter ("submitter") or
 * both ("actor,submitter").
 */
export function judgeActorSearch(
  entries: readonly HistoryEntryJson[],
  actor: string,
  checker: BrowserReceiptChecker,
  checks: readonly (ReceiptVerdict | undefined)[] = [],
): CustodyRow[] {
  // Roles come joined ("actor,submitter") when the name is both: each must hold.
  const names: NamesQuery = (event, roles) =>
    roles
      .split(',')
      .every(
        (role) =>
          (role === 'actor' && event.actor === actor) || (role === 'submitter' && event.submitter === actor),
      );
  return judgeEntries(entries, names, actor, checker, checks);
}

function judgeEntries(
  entries: readonly HistoryEntryJson[],
  names: NamesQuery,
  what: string,
  checker: BrowserReceiptChecker,
  checks: readonly (ReceiptVerdict | undefined)[],
): CustodyRow[] {
  return entries.map((entry, i) =>
    judgeEntry(entry, names, what, (text) => checks[i] ?? checker.verdict(text)),
  );
}

function judgeEntry(
  entry: HistoryEntryJson,
  names: NamesQuery,
  what: string,
  checkOf: (text: string) => ReceiptVerdict,
): CustodyRow {
  const listed: CustodyRow = {
    status: 'unanchored',
    eventId: entry.eventId,
    kind: entry.kind,
    role: entry.role,
    tenant: entry.tenant,
    actor: entry.actor,
    receivedAt: Number(entry.receivedAtUs),
    round: null,
    receiptJson: entry.receiptJson,
  };
  if (!entry.anchored || entry.receiptJson === null) return listed;
  const check = checkOf(entry.receiptJson);
  if (!check.ok) return { ...listed, status: 'invalid', code: check.code, message: check.message };
  if (check.version !== 1) {
    return { ...listed, status: 'invalid', code: 'NOT_IN_EVENT', message: 'an aggregated receipt' };
  }
  const { event, round } = check;
  const row: CustodyRow = {
    status: 'valid',
    eventId: formatUuid(event.eventId),
    kind: event.kind,
    role: entry.role,
    tenant: event.tenant,
    actor: event.actor,
    receivedAt: event.receivedAt,
    round,
    event,
    receiptJson: entry.receiptJson,
  };
  if (!names(event, entry.role)) {
    return {
      ...row,
      status: 'invalid',
      code: 'NOT_IN_EVENT',
      message: `the event does not name ${what} as ${entry.role}`,
    };
  }
  if (entry.round !== String(round)) {
    return { ...row, status: 'invalid', code: 'ROUND_MISMATCH', message: `listed in round ${entry.round}` };
  }
  return row;
}
