import { formatUuid } from '@msi/core';
import { alerterV1 } from '@msi/proto';

/** Alert severities, least serious first (the order `--severity` bounds from below). */
export const SEVERITY_NAMES = ['low', 'medium', 'high', 'critical'] as const;
export type SeverityName = (typeof SEVERITY_NAMES)[number];
export const CATEGORY_NAMES = ['policy', 'custody', 'integrity'] as const;
export type CategoryName = (typeof CATEGORY_NAMES)[number];
export const STATUS_NAMES = ['open', 'acknowledged'] as const;
export type StatusName = (typeof STATUS_NAMES)[number];

const SEVERITY: Readonly<Record<SeverityName, alerterV1.Severity>> = {
  low: alerterV1.Severity.SEVERITY_LOW,
  medium: alerterV1.Severity.SEVERITY_MEDIUM,
  high: alerterV1.Severity.SEVERITY_HIGH,
  critical: alerterV1.Severity.SEVERITY_CRITICAL,
};
const CATEGORY: Readonly<Record<CategoryName, alerterV1.Category>> = {
  policy: alerterV1.Category.CATEGORY_POLICY,
  custody: alerterV1.Category.CATEGORY_CUSTODY,
  integrity: alerterV1.Category.CATEGORY_INTEGRITY,
};
const STATUS: Readonly<Record<StatusName, alerterV1.Status>> = {
  open: alerterV1.Status.STATUS_OPEN,
  acknowledged: alerterV1.Status.STATUS_ACKNOWLEDGED,
};

export const severityToProto = (name: SeverityName): alerterV1.Severity => SEVERITY[name];
export const categoryToProto = (name: CategoryName): alerterV1.Category => CATEGORY[name];
export const statusToProto = (name: StatusName): alerterV1.Status => STATUS[name];

/** The name of an enum value, or `unknown` for a value this CLI does not know (a newer server). */
function nameOf<N extends string>(table: Readonly<Record<N, number>>, value: number): N | 'unknown' {
  const found = (Object.entries(table) as [N, number][]).find(([, v]) => v === value);
  return found === undefined ? 'unknown' : found[0];
}

export const severityName = (value: alerterV1.Severity) => nameOf(SEVERITY, value);
export const categoryName = (value: alerterV1.Category) => nameOf(CATEGORY, value);
export const statusName = (value: alerterV1.Status) => nameOf(STATUS, value);

/** An event id as text: a UUID when it has 16 bytes (the alerter's are), hex otherwise. */
export const eventIdText = (id: Uint8Array): string =>
  id.length === 16 ? formatUuid(id) : Array.from(id, (b) => b.toString(16).padStart(2, '0')).join('');

/**
 * An alert in its JSON form — what the alerter's webhooks send and `msi alerts --json` prints (the
 * one definition both use): snake_case, event ids as UUID text, times as µs numbers,
 * `anchored_round` null while not anchored. From a server it is display input, trusted no further.
 */
export function alertJsonOf(alert: alerterV1.Alert): Record<string, unknown> {
  return {
    alert_id: alert.alertId,
    sequence: Number(alert.sequence),
    rule: alert.rule,
    severity: severityName(alert.severity),
    category: categoryName(alert.category),
    tenant: alert.tenant,
    message: alert.message,
    dedupe_key: alert.dedupeKey,
    event_ids: alert.eventIds.map(eventIdText),
    anchored_round: alert.anchoredRound === 0n ? null : Number(alert.anchoredRound),
    first_seen_us: Number(alert.firstSeenUs),
    last_seen_us: Number(alert.lastSeenUs),
    occurrences: Number(alert.occurrences),
    status: statusName(alert.status),
    acknowledged_by: alert.acknowledgedBy,
    acknowledged_at_us: Number(alert.acknowledgedAtUs),
    acknowledge_note: alert.acknowledgeNote,
    details: { ...alert.details },
    policy_digest: alert.policyDigest,
  };
}
