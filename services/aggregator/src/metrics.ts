import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The aggregator's Prometheus metrics (msi_aggregator_*). */
export interface AggregatorMetrics {
  readonly eventsSealed: Counter<'shard'>;
  readonly sealsPublished: Counter<'shard'>;
  /** From the end of a seal's window to the seal being stored. */
  readonly sealLatency: Histogram;
  readonly sealsFenced: Counter<'shard'>;
  readonly eventsRejected: Counter<'code'>;
  readonly shardsOwned: Gauge;
  readonly leasesLost: Counter;
  /** Messages of the shard stored but not yet processed. */
  readonly pending: Gauge<'shard'>;
  readonly inflightLeaves: Gauge<'shard'>;
  /** The last seal's lag: from the end of its round window to it being stored. */
  readonly sealLag: Gauge<'shard'>;
}

export function createMetrics(registry: Registry): AggregatorMetrics {
  const registers = [registry];
  return {
    eventsSealed: new Counter({
      name: 'msi_aggregator_events_sealed_total',
      help: 'Events covered by published seals.',
      labelNames: ['shard'],
      registers,
    }),
    sealsPublished: new Counter({
      name: 'msi_aggregator_seals_published_total',
      help: 'Seals stored on the seals stream.',
      labelNames: ['shard'],
      registers,
    }),
    sealLatency: new Histogram({
      name: 'msi_aggregator_seal_latency_seconds',
      help: "From the end of a seal's round window to the seal being stored.",
      buckets: [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 5, 10, 30],
      registers,
    }),
    sealsFenced: new Counter({
      name: 'msi_aggregator_seals_fenced_total',
      help: 'Seals refused because another owner published first (the shard is dropped).',
      labelNames: ['shard'],
      registers,
    }),
    eventsRejected: new Counter({
      name: 'msi_aggregator_rejections_total',
      help: 'Messages or events on an events subject left out of the shard tree, by reason.',
      labelNames: ['code'],
      registers,
    }),
    shardsOwned: new Gauge({
      name: 'msi_aggregator_shards_owned',
      help: 'Shards this process holds a lease on.',
      registers,
    }),
    leasesLost: new Counter({
      name: 'msi_aggregator_leases_lost_total',
      help: 'Leases lost to a failed compare-and-set or expiry.',
      registers,
    }),
    pending: new Gauge({
      name: 'msi_aggregator_shard_pending_messages',
      help: 'Lag: messages of the shard stored but not yet processed by its owner.',
      labelNames: ['shard'],
      registers,
    }),
    inflightLeaves: new Gauge({
      name: 'msi_aggregator_inflight_leaves',
      help: 'Leaves held in the open seal of the shard.',
      labelNames: ['shard'],
      registers,
    }),
    sealLag: new Gauge({
      name: 'msi_aggregator_shard_seal_lag_seconds',
      help: "The shard's last seal: from the end of its round window to the seal being stored.",
      labelNames: ['shard'],
      registers,
    }),
  };
}
