import { formatUuid, kindFromCode, receiptToJson } from '@msi/core';
import { alerterV1, type verifierV1 } from '@msi/proto';
import { receiptFromProto } from '@msi/wire';
import type {
  AlertJson,
  AlertStatusName,
  CategoryName,
  HistoryEntryJson,
  SeverityName,
} from './api-types.js';

// The gateway's answers built from the upstream gRPC messages: bytes as text, 64-bit integers as
// decimal strings, enums as names. Nothing here is trusted by the browser: receipts are verified
// there, and the rest is shown as the server's word.

export const SEVERITIES: readonly SeverityName[] = ['low', 'medium', 'high', 'critical'];
export const CATEGORIES: readonly CategoryName[] = ['policy', 'custody', 'integrity'];
export const STATUSES: readonly AlertStatusName[] = ['open', 'acknowledged'];

export function historyEntryJson(entry: verifierV1.HistoryEntry): HistoryEntryJson {
  const event = entry.event;
  return {
    role: entry.role,
    anchored: entry.anchored,
    round: entry.round.toString(),
    receiptJson:
      entry.anchored && entry.receipt !== undefined ? receiptToJson(receiptFromProto(entry.receipt)) : null,
    eventId: event === undefined || event.eventId.length !== 16 ? '' : formatUuid(event.eventId),
    kind: (event === undefined ? undefined : kindFromCode(event.kind)) ?? 'UNKNOWN',
    tenant: event?.tenant ?? '',
    actor: event?.actor ?? '',
    receivedAtUs: (event?.receivedAtUs ?? 0n).toString(),
  };
}

export function alertJson(alert: alerterV1.Alert): AlertJson {
  return {
    alertId: alert.alertId,
    sequence: alert.sequence.toString(),
    rule: alert.rule,
    severity: SEVERITIES[alert.severity - 1] ?? 'unspecified',
    category: CATEGORIES[alert.category - 1] ?? 'unspecified',
    tenant: alert.tenant,
    message: alert.message,
    eventIds: alert.eventIds.filter((id) => id.length === 16).map((id) => formatUuid(id)),
    anchoredRound: alert.anchoredRound.toString(),
    firstSeenUs: alert.firstSeenUs.toString(),
    lastSeenUs: alert.lastSeenUs.toString(),
    occurrences: alert.occurrences.toString(),
    status: STATUSES[alert.status - 1] ?? 'unspecified',
    acknowledgedBy: alert.acknowledgedBy,
    acknowledgedAtUs: alert.acknowledgedAtUs.toString(),
    acknowledgeNote: alert.acknowledgeNote,
    details: { ...alert.details },
  };
}

/** A filter name as the proto enum value (absent: unspecified = any). */
export function severityOf(name: SeverityName | undefined): alerterV1.Severity {
  return name === undefined ? alerterV1.Severity.SEVERITY_UNSPECIFIED : SEVERITIES.indexOf(name) + 1;
}

export function categoryOf(name: CategoryName | undefined): alerterV1.Category {
  return name === undefined ? alerterV1.Category.CATEGORY_UNSPECIFIED : CATEGORIES.indexOf(name) + 1;
}

export function statusOf(name: AlertStatusName | undefined): alerterV1.Status {
  return name === undefined ? alerterV1.Status.STATUS_UNSPECIFIED : STATUSES.indexOf(name) + 1;
}
