import type { Severity } from '@msi/policy';
import type { alerterV1 } from '@msi/proto';
import { alertJsonOf, categoryToProto, severityToProto, statusToProto } from '@msi/wire';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

/** The families of rules (docs/ALERTS.md). */
export type AlertCategory = 'policy' | 'custody' | 'integrity';
export type AlertStatus = 'open' | 'acknowledged';

/** At most this many triggering event ids are kept on one alert (the first ones). */
export const MAX_ALERT_EVENT_IDS = 20;

/** A condition a rule detected: what the store turns into a new alert or a repetition of one. */
export interface AlertCandidate {
  readonly rule: string;
  readonly severity: Severity;
  readonly category: AlertCategory;
  /** '' for system-wide alerts. */
  readonly tenant: string;
  readonly message: string;
  /** Repetitions with the same key within the window are one alert. */
  readonly dedupeKey: string;
  readonly dedupeWindowUs: number;
  /** The triggering events (16-byte ids), possibly none. */
  readonly eventIds: readonly Uint8Array[];
  /** The round the triggering event is anchored in, when known. */
  readonly anchoredRound: number | undefined;
  /** When the condition was seen (event received_at or detection time), µs. */
  readonly atUs: number;
  /** What makes this occurrence unique (an event id, a stream sequence): part of the alert id. */
  readonly trigger: string;
  readonly details: Readonly<Record<string, string>>;
  readonly policyDigest: string;
}

/** An alert as stored. */
export interface Alert {
  readonly alertId: string;
  readonly sequence: number;
  readonly rule: string;
  readonly severity: Severity;
  readonly category: AlertCategory;
  readonly tenant: string;
  readonly message: string;
  readonly dedupeKey: string;
  readonly eventIds: readonly Uint8Array[];
  readonly anchoredRound: number | undefined;
  readonly firstSeenUs: number;
  readonly lastSeenUs: number;
  readonly occurrences: number;
  readonly status: AlertStatus;
  readonly acknowledgedBy: string;
  readonly acknowledgedAtUs: number;
  readonly acknowledgeNote: string;
  readonly details: Readonly<Record<string, string>>;
  readonly policyDigest: string;
}

/** The alert id: hex SHA-256 of `rule \n dedupe key \n trigger`. */
export function alertIdOf(candidate: Pick<AlertCandidate, 'rule' | 'dedupeKey' | 'trigger'>): string {
  return bytesToHex(sha256(utf8ToBytes(`${candidate.rule}\n${candidate.dedupeKey}\n${candidate.trigger}`)));
}

/** The wire form (gRPC and the `<prefix>.alerts.<severity>` messages). */
export function alertToProto(alert: Alert): alerterV1.Alert {
  return {
    alertId: alert.alertId,
    sequence: BigInt(alert.sequence),
    rule: alert.rule,
    severity: severityToProto(alert.severity),
    category: categoryToProto(alert.category),
    tenant: alert.tenant,
    message: alert.message,
    dedupeKey: alert.dedupeKey,
    eventIds: alert.eventIds.map((id) => Buffer.from(id)),
    anchoredRound: BigInt(alert.anchoredRound ?? 0),
    firstSeenUs: BigInt(alert.firstSeenUs),
    lastSeenUs: BigInt(alert.lastSeenUs),
    occurrences: BigInt(alert.occurrences),
    status: statusToProto(alert.status),
    acknowledgedBy: alert.acknowledgedBy,
    acknowledgedAtUs: BigInt(alert.acknowledgedAtUs),
    acknowledgeNote: alert.acknowledgeNote,
    details: { ...alert.details },
    policyDigest: alert.policyDigest,
  };
}

/** The JSON form webhooks receive (and `msi alerts --json` prints): @msi/wire's alertJsonOf. */
export function alertToJson(alert: Alert): Record<string, unknown> {
  return alertJsonOf(alertToProto(alert));
}
