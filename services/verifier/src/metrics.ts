import { verifierV1 } from '@msi/proto';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Per stream: the last sequence the projection applied and the stream's last sequence. */
export type ProjectionPositions = Readonly<
  Record<string, { readonly applied: number; readonly last: number }>
>;

/** The verifier's Prometheus metrics (msi_verifier_*). */
export interface VerifierMetrics {
  /** Events inserted into the projection (one per event in a batch, not per message). */
  readonly eventsApplied: Counter;
  /** Seals applied; verified = true | false. */
  readonly sealsApplied: Counter<'verified'>;
  /** Seals whose event rows were taken from memory (committed recently) or read back from the database. */
  readonly sealRangesRead: Counter<'from'>;
  /** Rounds applied; verified = true | false. */
  readonly roundsApplied: Counter<'verified'>;
  /** Checkpoints verified and stored. */
  readonly checkpointsApplied: Counter;
  /** Cosigned checkpoints applied; stored = whether the note replaced the one kept for its size. */
  readonly cosignedApplied: Counter<'stored'>;
  /** Publications applied; verified = true (stored) | false (an integrity failure). */
  readonly publicationsApplied: Counter<'verified'>;
  /** Integrity failures detected, by kind (the proto enum name without its prefix, lower case). */
  readonly integrityFailures: Counter<'kind'>;
  /** GetReceipt calls by gRPC status name, including the time spent waiting. */
  readonly getReceiptSeconds: Histogram<'code'>;
  readonly receiptsServed: Counter;
  /** Security events published on <prefix>.security, by kind; and those dropped by the rate limit. */
  readonly securityEvents: Counter<'kind'>;
  readonly securityDropped: Counter;
}

/** The label of an integrity failure kind, e.g. SEAL_MISMATCH → "seal_mismatch". */
export function failureKindLabel(kind: verifierV1.IntegrityFailureKind): string {
  const name = verifierV1.IntegrityFailureKind[kind] ?? `KIND_${kind}`;
  return name.replace(/^INTEGRITY_FAILURE_KIND_/, '').toLowerCase();
}

/**
 * Registers the verifier's metrics on `registry`. `positions` is read at each scrape for the
 * projection lag gauges (msi_verifier_projection_lag{stream} = last − applied).
 */
export function createVerifierMetrics(
  registry: Registry,
  positions: () => Promise<ProjectionPositions>,
): VerifierMetrics {
  const registers = [registry];
  new Gauge({
    name: 'msi_verifier_projection_applied_sequence',
    help: 'Last stream sequence applied to the projection, per stream',
    labelNames: ['stream'],
    registers,
    async collect() {
      for (const [stream, p] of Object.entries(await positions())) this.set({ stream }, p.applied);
    },
  });
  new Gauge({
    name: 'msi_verifier_projection_lag',
    help: 'Stream messages not applied to the projection yet (stream last sequence - applied sequence)',
    labelNames: ['stream'],
    registers,
    async collect() {
      for (const [stream, p] of Object.entries(await positions()))
        this.set({ stream }, Math.max(0, p.last - p.applied));
    },
  });
  return {
    eventsApplied: new Counter({
      name: 'msi_verifier_events_applied_total',
      help: 'Events applied to the projection',
      registers,
    }),
    sealsApplied: new Counter({
      name: 'msi_verifier_seals_applied_total',
      help: 'Seals applied to the projection, by whether they verified',
      labelNames: ['verified'],
      registers,
    }),
    sealRangesRead: new Counter({
      name: 'msi_verifier_seal_ranges_read_total',
      help: 'Seals checked against event rows held in memory since their commit (from="memory") or read back from Postgres (from="database")',
      labelNames: ['from'],
      registers,
    }),
    roundsApplied: new Counter({
      name: 'msi_verifier_rounds_applied_total',
      help: 'Rounds applied to the projection, by whether they and their checkpoint verified',
      labelNames: ['verified'],
      registers,
    }),
    checkpointsApplied: new Counter({
      name: 'msi_verifier_checkpoints_applied_total',
      help: 'Checkpoints verified against the rebuilt calendar and stored',
      registers,
    }),
    cosignedApplied: new Counter({
      name: 'msi_verifier_cosigned_checkpoints_applied_total',
      help: 'Cosigned checkpoints applied, by whether they replaced the note kept for their size',
      labelNames: ['stored'],
      registers,
    }),
    publicationsApplied: new Counter({
      name: 'msi_verifier_publications_applied_total',
      help: 'Publications applied, by whether they verified (stored) or not (an integrity failure)',
      labelNames: ['verified'],
      registers,
    }),
    integrityFailures: new Counter({
      name: 'msi_verifier_integrity_failures_total',
      help: 'Integrity failures detected, by kind',
      labelNames: ['kind'],
      registers,
    }),
    getReceiptSeconds: new Histogram({
      name: 'msi_verifier_get_receipt_seconds',
      help: 'GetReceipt latency (including any wait), by gRPC status',
      labelNames: ['code'],
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1, 5],
      registers,
    }),
    receiptsServed: new Counter({
      name: 'msi_verifier_receipts_served_total',
      help: 'Receipts served (by GetReceipt and GetHistory)',
      registers,
    }),
    securityEvents: new Counter({
      name: 'msi_verifier_security_events_total',
      help: 'Security events (failed authentication or authorization, undecodable requests) published, by kind',
      labelNames: ['kind'],
      registers,
    }),
    securityDropped: new Counter({
      name: 'msi_verifier_security_events_dropped_total',
      help: 'Security events not published because of the rate limit',
      registers,
    }),
  };
}
