import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** ingest's Prometheus metrics (msi_ingest_*), registered on the service's registry. */
export interface IngestMetrics {
  readonly received: Counter;
  readonly acked: Counter;
  readonly duplicate: Counter;
  readonly failed: Counter<'code'>;
  readonly rejected: Counter<'code'>;
  readonly batchEvents: Histogram;
  readonly batchBytes: Histogram;
  readonly publishSeconds: Histogram;
  /** Per request: from its events being admitted to their acks (claim, batch, JetStream ack). */
  readonly ackSeconds: Histogram;
  readonly inFlight: Gauge;
  /** Event ids held by the claim index (set on each scrape from `claimIndexSize`). */
  readonly claimIndexIds: Gauge;
  /** Bytes of the claim index in memory and on disk (set on each scrape from `claimIndexBytes`). */
  readonly claimIndexBytes: Gauge<'tier'>;
  /** Writes of claim index slices to disk that failed (their claims stayed in memory). */
  readonly claimIndexWriteFailures: Counter;
  readonly securityEvents: Counter<'kind'>;
  readonly securityDropped: Counter;
}

export function createIngestMetrics(
  registry: Registry,
  claimIndexSize: () => number,
  claimIndexBytes: () => { readonly memory: number; readonly disk: number } = () => ({ memory: 0, disk: 0 }),
): IngestMetrics {
  const registers = [registry];
  return {
    received: new Counter({
      name: 'msi_ingest_events_received_total',
      help: 'Events in requests that passed validation',
      registers,
    }),
    acked: new Counter({
      name: 'msi_ingest_events_acked_total',
      help: 'Events acked durable (first submissions; see duplicate for resubmissions)',
      registers,
    }),
    duplicate: new Counter({
      name: 'msi_ingest_events_duplicate_total',
      help: 'Events answered with the original ack of an earlier submission of the same id',
      registers,
    }),
    failed: new Counter({
      name: 'msi_ingest_events_failed_total',
      help: 'Events acked as failed (retryable), by failure code',
      labelNames: ['code'],
      registers,
    }),
    rejected: new Counter({
      name: 'msi_ingest_requests_rejected_total',
      help: 'Calls refused as a whole, by gRPC status',
      labelNames: ['code'],
      registers,
    }),
    batchEvents: new Histogram({
      name: 'msi_ingest_batch_events',
      help: 'Events per published EventBatch',
      buckets: [1, 4, 16, 64, 128, 256, 512, 1024, 4096],
      registers,
    }),
    batchBytes: new Histogram({
      name: 'msi_ingest_batch_bytes',
      help: 'Bytes of canonical events per published EventBatch',
      buckets: [1024, 8192, 32_768, 131_072, 262_144, 524_288, 1_048_576],
      registers,
    }),
    publishSeconds: new Histogram({
      name: 'msi_ingest_publish_seconds',
      help: 'Time from sealing a batch to its JetStream ack',
      buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    ackSeconds: new Histogram({
      name: 'msi_ingest_ack_seconds',
      help: "Time from a request's events being admitted to their acks (claim, batch, JetStream ack)",
      buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    inFlight: new Gauge({
      name: 'msi_ingest_in_flight_events',
      help: 'Events accepted and not yet answered',
      registers,
    }),
    claimIndexIds: new Gauge({
      name: 'msi_ingest_claim_index_ids',
      help: 'Event ids in the dedup window held by the claim index, in memory or on disk',
      registers,
      collect() {
        this.set(claimIndexSize());
      },
    }),
    claimIndexBytes: new Gauge({
      name: 'msi_ingest_claim_index_bytes',
      help: 'Bytes of the claim index: tier="memory" (the slices within MSI_INGEST_CLAIM_MEMORY_MS of now, and late claims), tier="disk" (files under MSI_INGEST_CLAIM_DIR)',
      labelNames: ['tier'],
      registers,
      collect() {
        const bytes = claimIndexBytes();
        this.set({ tier: 'memory' }, bytes.memory);
        this.set({ tier: 'disk' }, bytes.disk);
      },
    }),
    claimIndexWriteFailures: new Counter({
      name: 'msi_ingest_claim_index_write_failures_total',
      help: 'Claim index slices that could not be written to disk (kept in memory, tried again 10 s later)',
      registers,
    }),
    securityEvents: new Counter({
      name: 'msi_ingest_security_events_total',
      help: 'Security events published on <prefix>.security, by kind',
      labelNames: ['kind'],
      registers,
    }),
    securityDropped: new Counter({
      name: 'msi_ingest_security_events_dropped_total',
      help: 'Security events not published because of the rate limit',
      registers,
    }),
  };
}
