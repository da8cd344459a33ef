import { streamV1 } from '@msi/proto';
import type { AuthFailureReason } from './authenticate.js';

/** A failed authentication or authorization attempt, as ingest saw it. */
export interface SecurityIncident {
  readonly kind: 'UNAUTHENTICATED' | 'PERMISSION_DENIED';
  readonly method: string;
  readonly peer: string;
  readonly principal: string;
  readonly tenant: string;
  readonly reason: AuthFailureReason;
}

export interface SecurityReporterOptions {
  /** Sends one encoded streamV1.SecurityEvent; MUST NOT block (core NATS publish buffers it). */
  readonly send: (payload: Uint8Array) => void;
  readonly now: () => number;
  /** Sustained rate; the bucket holds twice as many for bursts. */
  readonly perSecond: number;
  readonly onPublished?: (kind: SecurityIncident['kind']) => void;
  readonly onDropped?: () => void;
}

const KINDS = {
  UNAUTHENTICATED: streamV1.SecurityEventKind.SECURITY_EVENT_KIND_UNAUTHENTICATED,
  PERMISSION_DENIED: streamV1.SecurityEventKind.SECURITY_EVENT_KIND_PERMISSION_DENIED,
} as const;

/**
 * Publishes security events on `<prefix>.security`, fire-and-forget: never awaited by a call, never
 * throwing into it, and rate-limited by a token bucket so that a flood of bad calls cannot turn
 * into a flood of messages (dropped ones are counted).
 */
export class SecurityReporter {
  private tokens: number;
  private refilledAt: number;

  constructor(private readonly options: SecurityReporterOptions) {
    this.tokens = 2 * options.perSecond;
    this.refilledAt = options.now();
  }

  report(incident: SecurityIncident): void {
    const now = this.options.now();
    const capacity = 2 * this.options.perSecond;
    this.tokens = Math.min(capacity, this.tokens + ((now - this.refilledAt) / 1000) * this.options.perSecond);
    this.refilledAt = now;
    if (this.tokens < 1) {
      this.options.onDropped?.();
      return;
    }
    this.tokens -= 1;
    const payload = streamV1.SecurityEvent.encode({
      version: 1,
      kind: KINDS[incident.kind],
      service: 'ingest',
      method: incident.method,
      peer: incident.peer,
      principal: incident.principal,
      tenant: incident.tenant,
      reason: incident.reason,
      atUs: BigInt(now) * 1000n,
    }).finish();
    try {
      this.options.send(payload);
      this.options.onPublished?.(incident.kind);
    } catch {
      this.options.onDropped?.(); // the bus is away: security events are best effort
    }
  }
}
