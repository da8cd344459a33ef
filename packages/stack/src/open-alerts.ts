import { credentials as grpcCredentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { alerterV1 } from '@msi/proto';

/** The alert severities, most serious first (the order of a status line). */
export const SEVERITY_NAMES = ['critical', 'high', 'medium', 'low'] as const;
export type SeverityName = (typeof SEVERITY_NAMES)[number];

/** How many alerts are open, per severity. */
export interface OpenAlertCounts {
  readonly bySeverity: Readonly<Record<SeverityName, number>>;
  /** More alerts were open than were counted (the count stopped at `MAX_COUNTED`). */
  readonly truncated: boolean;
}

/** Alerts counted at most per query (10 pages of 1,000): a status line needs no exact large count. */
export const MAX_COUNTED = 10_000;
const PAGE = 1000;

const NAME_OF: Readonly<Record<number, SeverityName>> = {
  [alerterV1.Severity.SEVERITY_LOW]: 'low',
  [alerterV1.Severity.SEVERITY_MEDIUM]: 'medium',
  [alerterV1.Severity.SEVERITY_HIGH]: 'high',
  [alerterV1.Severity.SEVERITY_CRITICAL]: 'critical',
};

/** Tallies alerts by severity (alerts of an unknown severity are not counted). */
export function tallyOpenAlerts(alerts: readonly alerterV1.Alert[], truncated: boolean): OpenAlertCounts {
  const bySeverity: Record<SeverityName, number> = { critical: 0, high: 0, medium: 0, low: 0 };
  for (const alert of alerts) {
    const name = NAME_OF[alert.severity];
    if (name !== undefined) bySeverity[name]++;
  }
  return { bySeverity, truncated };
}

/** `open alerts: 2 critical, 3 high` (severities with none left out), or `open alerts: none`. */
export function formatOpenAlerts(counts: OpenAlertCounts): string {
  const parts = SEVERITY_NAMES.filter((name) => counts.bySeverity[name] > 0).map(
    (name) => `${counts.bySeverity[name]} ${name}`,
  );
  if (parts.length === 0) return 'open alerts: none';
  return `open alerts: ${parts.join(', ')}${counts.truncated ? ' (at least)' : ''}`;
}

/**
 * Counts the open alerts the key may see (an operator key: all of them) with ListAlerts, paging up to
 * MAX_COUNTED. Rejects with the gRPC error when the alerter does not answer within `timeoutMs`.
 */
export async function countOpenAlerts(
  client: alerterV1.AlerterServiceClient,
  apiKey: string,
  timeoutMs: number,
): Promise<OpenAlertCounts> {
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${apiKey}`);
  const alerts: alerterV1.Alert[] = [];
  let before = 0n;
  do {
    const request = alerterV1.ListAlertsRequest.fromPartial({
      filter: { status: alerterV1.Status.STATUS_OPEN },
      pageSize: PAGE,
      beforeSequence: before,
    });
    const page = await new Promise<alerterV1.ListAlertsResponse>((resolve, reject) =>
      client.listAlerts(
        request,
        metadata,
        { deadline: Date.now() + timeoutMs },
        (error: ServiceError | null, response) => (error === null ? resolve(response) : reject(error)),
      ),
    );
    alerts.push(...page.alerts);
    before = page.nextBefore;
  } while (before !== 0n && alerts.length < MAX_COUNTED);
  return tallyOpenAlerts(alerts, before !== 0n);
}

/**
 * Counts the open alerts at `address` every `intervalMs` (one query at a time) and reports each count,
 * or the error when the alerter did not answer. Returns a function that stops.
 */
export function pollOpenAlerts(
  address: string,
  apiKey: string,
  intervalMs: number,
  onCount: (result: OpenAlertCounts | Error) => void,
): () => void {
  const client = new alerterV1.AlerterServiceClient(address, grpcCredentials.createInsecure());
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = async () => {
    try {
      const counts = await countOpenAlerts(client, apiKey, Math.max(1000, intervalMs));
      if (!stopped) onCount(counts);
    } catch (error: unknown) {
      if (!stopped) onCount(error instanceof Error ? error : new Error(String(error)));
    }
    if (!stopped) timer = setTimeout(() => void tick(), intervalMs);
  };
  void tick();
  return () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
    client.close();
  };
}
