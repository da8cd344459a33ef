import {
  type DataEvent,
  type Endpoint,
  eventNamesImprint,
  formatImprint,
  formatUuid,
  type Imprint,
  kindFromCode,
  ReceiptError,
  type ReceiptTrust,
  type VerifiedReceipt,
  verifyReceipt,
} from '@msi/core';
import { nodeEd25519, nodeHasher } from '@msi/crypto-node';
import type { eventV1, verifierV1 } from '@msi/proto';
import { receiptFromProto } from '@msi/wire';
import { bytesToHex } from '@noble/hashes/utils.js';
import { formatMicros } from './format-time.js';

/** One row of a chain of custody, as printed: verified from its receipt, or marked otherwise. */
export interface HistoryRow {
  readonly status: 'VALID' | 'UNANCHORED' | 'INVALID';
  /** The failing step when INVALID. */
  readonly code?: string;
  readonly message?: string;
  readonly receivedAt: string;
  readonly eventId: string;
  readonly kind: string;
  readonly role: string;
  readonly tenant: string;
  readonly actor: string;
  readonly round: number | null;
  readonly detail: string;
  /** The verified event (VALID rows only): lineage is derived from these, not from the server's word. */
  readonly event?: DataEvent;
}

/**
 * Checks one GetHistory entry (hostile input): its receipt must verify under `trust`, name the queried
 * imprint in the role claimed and anchor it in the round claimed. What is shown of a VALID row comes
 * from the verified receipt; of other rows from the server's (unverified) fields.
 */
export function checkHistoryEntry(
  entry: verifierV1.HistoryEntry,
  data: Imprint,
  trust: ReceiptTrust,
): HistoryRow {
  return checkEntry(entry, trust, (event) =>
    eventNamesImprint(event, entry.role, data)
      ? undefined
      : `the event does not name the item as ${entry.role}`,
  );
}

/**
 * Checks one SearchByActor entry (hostile input) as checkHistoryEntry does, the role claimed being
 * "actor", "submitter" or both ("actor,submitter"): the verified event must name `name` in each.
 */
export function checkActorEntry(
  entry: verifierV1.HistoryEntry,
  name: string,
  trust: ReceiptTrust,
): HistoryRow {
  return checkEntry(entry, trust, (event) => {
    const roles = entry.role.split(',');
    const named = (role: string) =>
      (role === 'actor' && event.actor === name) || (role === 'submitter' && event.submitter === name);
    return roles.length > 0 && roles.every(named)
      ? undefined
      : `the event does not name ${name} as ${entry.role}`;
  });
}

/**
 * An entry's row: UNANCHORED when the server says so, INVALID when its receipt does not verify under
 * `trust`, the event is not what `named` expects (its complaint) or the round differs; else VALID.
 */
function checkEntry(
  entry: verifierV1.HistoryEntry,
  trust: ReceiptTrust,
  named: (event: DataEvent) => string | undefined,
): HistoryRow {
  const unverified = fromProto(entry);
  if (!entry.anchored || entry.receipt === undefined) return { ...unverified, status: 'UNANCHORED' };
  let verified: VerifiedReceipt;
  try {
    verified = verifyReceipt(receiptFromProto(entry.receipt), trust, {
      hasher: nodeHasher(),
      ed25519: nodeEd25519(),
    });
  } catch (error: unknown) {
    const code = error instanceof ReceiptError ? error.code : 'RECEIPT_MALFORMED';
    const message = error instanceof Error ? error.message : String(error);
    return { ...unverified, status: 'INVALID', code, message };
  }
  const row = fromVerified(verified, entry.role);
  const complaint = named(verified.event);
  if (complaint !== undefined) return { ...row, status: 'INVALID', code: 'NOT_IN_EVENT', message: complaint };
  if (BigInt(verified.round.round) !== entry.round) {
    return { ...row, status: 'INVALID', code: 'ROUND_MISMATCH', message: `listed in round ${entry.round}` };
  }
  return row;
}

function fromVerified(verified: VerifiedReceipt, role: string): HistoryRow {
  const { event } = verified;
  return {
    status: 'VALID',
    receivedAt: formatMicros(event.receivedAt),
    eventId: formatUuid(event.eventId),
    kind: event.kind,
    role,
    tenant: event.tenant,
    actor: event.actor,
    round: verified.round.round,
    detail: detailOf(
      event.kind,
      event.source,
      event.destination,
      event.toTenant,
      event.inputs.length,
      event.outputs.length,
    ),
    event,
  };
}

function fromProto(entry: verifierV1.HistoryEntry): Omit<HistoryRow, 'status'> {
  const event: eventV1.DataEvent | undefined = entry.event;
  const kind: string = (event === undefined ? undefined : kindFromCode(event.kind)) ?? 'UNKNOWN';
  const micros = Number(event?.receivedAtUs ?? 0n);
  return {
    receivedAt: Number.isSafeInteger(micros) && micros > 0 ? formatMicros(micros) : '-',
    eventId: event === undefined ? '-' : eventIdText(event.eventId),
    kind,
    role: entry.role,
    tenant: event?.tenant ?? '-',
    actor: event?.actor ?? '-',
    round: null,
    detail:
      event === undefined
        ? ''
        : detailOf(
            kind,
            event.source,
            event.destination,
            event.toTenant,
            event.inputs.length,
            event.outputs.length,
          ),
  };
}

/** An event id from a server (hostile input) as text: a UUID when it is 16 bytes, else its hex. */
export function eventIdText(bytes: Uint8Array): string {
  return bytes.length === 16 ? formatUuid(bytes) : bytesToHex(bytes);
}

function detailOf(
  kind: string,
  source: Endpoint | undefined,
  destination: Endpoint | undefined,
  toTenant: string,
  inputs: number,
  outputs: number,
): string {
  const place = (e: Endpoint | undefined) =>
    [e?.system, e?.region, e?.host].filter((p) => p !== undefined && p !== '').join('/');
  if (kind === 'PROCESS') return `${inputs} in -> ${outputs} out`;
  const route = [place(source), place(destination)];
  const where = route[0] === '' && route[1] === '' ? '' : `${route[0] || '?'} -> ${route[1] || '?'}`;
  return [where, toTenant === '' ? '' : `to tenant ${toTenant}`].filter((p) => p !== '').join(' ');
}

/** Lineage lines derived from the VALID rows' events (PROCESS and TRANSFER). */
export function lineageOf(rows: readonly HistoryRow[]): string[] {
  const lines: string[] = [];
  for (const row of rows) {
    const event = row.event;
    if (event === undefined) continue;
    if (event.kind === 'PROCESS') {
      lines.push(
        `PROCESS  ${row.eventId}  ${event.inputs.map(formatImprint).join(' + ')} -> ${event.outputs.map(formatImprint).join(' + ')}`,
      );
    } else if (event.kind === 'TRANSFER') {
      lines.push(
        `TRANSFER ${row.eventId}  ${formatImprint(event.data)}  ${event.tenant} -> ${event.toTenant === '' ? event.tenant : event.toTenant}`,
      );
    }
  }
  return lines;
}
