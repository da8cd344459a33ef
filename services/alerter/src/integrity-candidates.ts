import type { Severity } from '@msi/policy';
import type { PumpMessage } from '@msi/service-kit';
import type { AlertCandidate } from './alert.js';
import { DEFAULT_DEDUPE_WINDOW_US } from './alerter-context.js';
import type { PumpKey } from './schema.js';

/** The built-in integrity rules (docs/ALERTS.md lists what each means and how serious it is). */
export type IntegrityRule =
  | 'malformed-message'
  | 'calendar-gap'
  | 'calendar-duplicate-leaf'
  | 'calendar-out-of-order'
  | 'calendar-rewrite'
  | 'calendar-time-backwards'
  | 'round-invalid'
  | 'checkpoint-invalid'
  | 'checkpoint-inconsistent'
  | 'calendar-fork'
  | 'round-events-missing'
  | 'shard-not-sealed'
  | 'seal-not-anchored'
  | 'calendar-stalled'
  | 'verifier-mismatch'
  | 'witness-refused'
  | 'event-on-retired-shard'
  | 'auth-failure-burst';

export interface IntegrityFinding {
  readonly rule: IntegrityRule;
  readonly severity: Severity;
  readonly message: string;
  /** What repetitions are grouped by, after the rule (e.g. `shard=3`). */
  readonly subject: string;
  /** What makes this occurrence unique (e.g. `rounds#812`). */
  readonly trigger: string;
  readonly atUs: number;
  readonly details?: Readonly<Record<string, string>>;
  readonly tenant?: string;
  readonly dedupeWindowUs?: number;
}

/** An integrity finding as an alert candidate (no tenant unless given; no policy digest). */
export function integrityCandidate(finding: IntegrityFinding): AlertCandidate {
  return {
    rule: finding.rule,
    severity: finding.severity,
    category: 'integrity',
    tenant: finding.tenant ?? '',
    message: finding.message,
    dedupeKey: `${finding.rule}|${finding.tenant ?? ''}|${finding.subject}`,
    dedupeWindowUs: finding.dedupeWindowUs ?? DEFAULT_DEDUPE_WINDOW_US,
    eventIds: [],
    anchoredRound: undefined,
    atUs: finding.atUs,
    trigger: finding.trigger,
    details: finding.details ?? {},
    policyDigest: '',
  };
}

/** A message on one of the streams that does not decode: someone publishes what MSI never writes. */
export function malformedMessage(
  stream: PumpKey,
  message: PumpMessage,
  detail: string,
  nowMs: number,
): AlertCandidate {
  return integrityCandidate({
    rule: 'malformed-message',
    severity: stream === 'rounds' || stream === 'checkpoints' || stream === 'seals' ? 'critical' : 'high',
    message: `${stream} message #${message.seq} on ${message.subject} is malformed: ${detail}`,
    subject: `stream=${stream}`,
    trigger: `${stream}#${message.seq}`,
    atUs: nowMs * 1000,
    details: { stream, sequence: String(message.seq), subject: message.subject },
  });
}
