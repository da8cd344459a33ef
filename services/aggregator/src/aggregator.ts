import type { MerkleHasher } from '@msi/merkle';
import { bucketNamesFor, defaultStreamSettings, ensureStreams } from '@msi/nats';
import type { Logger } from '@msi/service-kit';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Config } from './config.js';
import { Coordinator } from './coordinator.js';
import { openLeaseStore } from './lease-store.js';
import type { AggregatorMetrics } from './metrics.js';
import { ShardWorker } from './shard-worker.js';

/** The settings the aggregator runs with (a subset of Config, so tests can build one directly). */
export type AggregatorSettings = Pick<
  Config,
  | 'prefix'
  | 'shards'
  | 'roundIntervalMs'
  | 'aggregatorId'
  | 'leaseTtlMs'
  | 'graceMs'
  | 'maxSealLeaves'
  | 'natsReplicas'
>;

export interface AggregatorDeps {
  readonly nc: NatsConnection;
  readonly hasher: MerkleHasher;
  readonly settings: AggregatorSettings;
  readonly log: Logger;
  readonly metrics: AggregatorMetrics;
  readonly nowMs: () => number;
}

export interface RunningAggregator {
  /** The shards this process currently holds, ascending. */
  ownedShards(): number[];
  /** Stops every shard worker, releases the leases and the heartbeat. Leaves the connection open. */
  stop(): Promise<void>;
}

/**
 * Starts an aggregator on an open connection: makes sure the streams (idempotent) and the leases
 * bucket exist, then takes its fair share of the shards and seals them.
 */
export async function startAggregator(deps: AggregatorDeps): Promise<RunningAggregator> {
  const { nc, settings, log } = deps;
  const jsm = await jetstreamManager(nc);
  await ensureStreams(jsm, settings.prefix, { ...defaultStreamSettings, replicas: settings.natsReplicas });
  const js = jetstream(nc);
  const store = await openLeaseStore(js, bucketNamesFor(settings.prefix).leases, settings.natsReplicas);
  const coordinator = new Coordinator({
    store,
    shards: settings.shards,
    aggregatorId: settings.aggregatorId,
    leaseTtlMs: settings.leaseTtlMs,
    nowMs: deps.nowMs,
    log,
    metrics: deps.metrics,
    startWorker: (shard, lease) =>
      ShardWorker.start({
        js,
        jsm,
        hasher: deps.hasher,
        prefix: settings.prefix,
        shard,
        aggregatorId: settings.aggregatorId,
        lease,
        intervalMs: settings.roundIntervalMs,
        graceMs: settings.graceMs,
        maxSealLeaves: settings.maxSealLeaves,
        nowMs: deps.nowMs,
        log,
        metrics: deps.metrics,
      }),
  });
  coordinator.start();
  return { ownedShards: () => coordinator.ownedShards(), stop: () => coordinator.stop() };
}
