import { decodeRound, formatImprint, formatUuid, kindFromCode, parseImprint, receiptToJson } from '@msi/core';
import { alerterV1, type eventV1, verifierV1 } from '@msi/proto';
import { receiptFromProto } from '@msi/wire';
import type {
  AlertJson,
  AlertStatusName,
  CategoryName,
  EndpointJson,
  HistoryEntryJson,
  LineageDirectionName,
  LineageHopJson,
  PublicationJson,
  RoundResponseJson,
  SeverityName,
  WitnessStatusJson,
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

/** One hop of a lineage walk, with its event's receipt text (fetched by the route) or null. */
export function lineageHopJson(hop: verifierV1.LineageHop, receiptJson: string | null): LineageHopJson {
  const link = hop.link;
  const kind =
    link?.kind === verifierV1.LinkKind.LINK_KIND_PROCESS
      ? 'PROCESS'
      : link?.kind === verifierV1.LinkKind.LINK_KIND_TRANSFER
        ? 'TRANSFER'
        : 'unspecified';
  return {
    kind,
    eventId: link === undefined || link.eventId.length !== 16 ? '' : formatUuid(link.eventId),
    fromData: (link?.fromData ?? []).map(imprintText),
    toData: (link?.toData ?? []).map(imprintText),
    fromTenant: link?.fromTenant ?? '',
    toTenant: link?.toTenant ?? '',
    source: endpointJson(link?.source),
    destination: endpointJson(link?.destination),
    depth: hop.depth,
    direction:
      hop.direction === verifierV1.LineageDirection.LINEAGE_DIRECTION_UPSTREAM
        ? 'upstream'
        : hop.direction === verifierV1.LineageDirection.LINEAGE_DIRECTION_DOWNSTREAM
          ? 'downstream'
          : 'unspecified',
    anchored: hop.anchored,
    round: hop.round.toString(),
    receiptJson,
  };
}

export function witnessStatusJson(witness: verifierV1.WitnessStatus): WitnessStatusJson {
  return {
    name: witness.name,
    keyId: witness.keyId,
    cosignedSize: witness.cosignedSize.toString(),
    cosignedAtUs: witness.cosignedAtUs.toString(),
    lagEntries: witness.lagEntries.toString(),
    lagUs: witness.lagUs.toString(),
  };
}

export function publicationJson(publication: verifierV1.Publication): PublicationJson {
  return { timeUs: publication.timeUs.toString(), size: publication.size.toString(), text: publication.text };
}

/** A GetRound answer with its round record decoded (the server's bytes: shown as unverified). */
export function roundJson(response: verifierV1.GetRoundResponse): RoundResponseJson {
  const record = decodeRound(response.round);
  return {
    round: String(record.round),
    closedAtUs: String(record.closedAt),
    intervalMs: record.intervalMs,
    sealCount: record.sealCount,
    checkpoint: response.checkpoint,
  };
}

export const LINEAGE_DIRECTIONS: readonly LineageDirectionName[] = ['upstream', 'downstream', 'both'];

/** A direction name as the proto enum value (absent: unspecified = both). */
export function directionOf(name: LineageDirectionName | undefined): verifierV1.LineageDirection {
  return name === undefined
    ? verifierV1.LineageDirection.LINEAGE_DIRECTION_UNSPECIFIED
    : LINEAGE_DIRECTIONS.indexOf(name) + 1;
}

function endpointJson(endpoint: eventV1.Endpoint | undefined): EndpointJson {
  return { system: endpoint?.system ?? '', region: endpoint?.region ?? '', host: endpoint?.host ?? '' };
}

/** Imprint bytes as `<algorithm>:<hex>`; bytes that are no imprint as `invalid:<hex>`. */
function imprintText(bytes: Uint8Array): string {
  try {
    return formatImprint(parseImprint(bytes));
  } catch {
    return `invalid:${Buffer.from(bytes).toString('hex')}`;
  }
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
