import { streamV1 } from '@msi/proto';

/** A failed authentication or authorization attempt, or an undecodable request, as a service saw it. */
export interface SecurityIncident {
  readonly kind: 'UNAUTHENTICATED' | 'PERMISSION_DENIED' | 'MALFORMED_REQUEST';
  /** The gRPC method path. */
  readonly method: string;
  readonly peer: string;
  /** Empty when the caller did not authenticate. */
  readonly principal: string;
  readonly tenant: string;
  /** Short and machine-readable, e.g. `unknown_api_key`, `missing_role`, `undecodable_request`. */
  readonly reason: string;
}

export interface SecurityReporterOptions {
  /** The reporting service's name ("ingest", "verifier", "alerter"). */
  readonly service: string;
  /** Sends one encoded streamV1.SecurityEvent; MUST NOT block (core NATS publish buffers it). */
  readonly send: (payload: Uint8Array) => void;
  readonly nowMs: () => number;
  /** Sustained rate; the bucket holds twice as many for bursts. */
  readonly perSecond: number;
  readonly onPublished?: (kind: SecurityIncident['kind']) => void;
  readonly onDropped?: () => void;
}

const KINDS = {
  UNAUTHENTICATED: streamV1.SecurityEventKind.SECURITY_EVENT_KIND_UNAUTHENTICATED,
  PERMISSION_DENIED: streamV1.SecurityEventKind.SECURITY_EVENT_KIND_PERMISSION_DENIED,
  MALFORMED_REQUEST: streamV1.SecurityEventKind.SECURITY_EVENT_KIND_MALFORMED_REQUEST,
} as const;

/**
 * Publishes security events on `<prefix>.security`, fire-and-forget: never awaited by a call, never
 * throwing into it, and rate-limited by a token bucket so that a flood of bad calls cannot turn
 * into a flood of messages (dropped ones are counted).
 */
export class SecurityReporter {
  #tokens: number;
  #refilledAt: number;

  constructor(private readonly options: SecurityReporterOptions) {
    this.#tokens = 2 * options.perSecond;
    this.#refilledAt = options.nowMs();
  }

  report(incident: SecurityIncident): void {
    const now = this.options.nowMs();
    const capacity = 2 * this.options.perSecond;
    this.#tokens = Math.min(
      capacity,
      this.#tokens + ((now - this.#refilledAt) / 1000) * this.options.perSecond,
    );
    this.#refilledAt = now;
    if (this.#tokens < 1) {
      this.options.onDropped?.();
      return;
    }
    this.#tokens -= 1;
    const payload = streamV1.SecurityEvent.encode({
      version: 1,
      kind: KINDS[incident.kind],
      service: this.options.service,
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
