import type { MerkleHasher } from '@msi/merkle';
import { bucketNamesFor, defaultStreamSettings, ensureStreams, subjectsFor } from '@msi/nats';
import type { Logger } from '@msi/service-kit';
import { ShardMapFollower, ShardMapStore } from '@msi/shard-map';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Config } from './config.js';
import { Coordinator } from './coordinator.js';
import { openLeaseStore } from './lease-store.js';
import type { AggregatorMetrics } from './metrics.js';
import { reportRetiredShardSealed } from './retired-shard-report.js';
import { ShardStatusBoard } from './shard-status-board.js';
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
> &
  Partial<Pick<Config, 'shardMapPollMs'>>;

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
  /** The shard map version this process follows. */
  shardMapVersion(): number;
  /** Stops every shard worker, releases the leases and the heartbeat. Leaves the connection open. */
  stop(): Promise<void>;
}

const DEFAULT_SHARD_MAP_POLL_MS = 500;

/**
 * Starts an aggregator on an open connection: makes sure the streams (idempotent) and the leases
 * bucket exist, follows the shard map (KV `<P>_SHARDS`, seeded from MSI_SHARDS when absent), then takes
 * its fair share of every shard the map serves (active, draining and retired) and seals them.
 */
export async function startAggregator(deps: AggregatorDeps): Promise<RunningAggregator> {
  const { nc, settings, log } = deps;
  const jsm = await jetstreamManager(nc);
  await ensureStreams(jsm, settings.prefix, { ...defaultStreamSettings, replicas: settings.natsReplicas });
  const js = jetstream(nc);
  const buckets = bucketNamesFor(settings.prefix);
  const store = await openLeaseStore(js, buckets.leases, settings.natsReplicas);
  const mapStore = await ShardMapStore.open(js, buckets.shardMap, settings.natsReplicas);
  let coordinator: Coordinator | undefined;
  const follower = await ShardMapFollower.start({
    store: mapStore,
    seedCount: settings.shards,
    pollMs: settings.shardMapPollMs ?? DEFAULT_SHARD_MAP_POLL_MS,
    nowMs: deps.nowMs,
    log: log.child({ component: 'shard-map' }),
    onAdopt: () => coordinator?.wake(),
  });
  const board = new ShardStatusBoard(mapStore, settings.aggregatorId, deps.nowMs, log);
  const integritySubject = subjectsFor(settings.prefix).integrity('aggregator');
  coordinator = new Coordinator({
    store,
    shards: () => follower.current.shards.length,
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
        shardMap: () => follower.current,
        onRetiredShardSealed: (found) =>
          reportRetiredShardSealed(nc, integritySubject, settings.aggregatorId, found, log),
        onStatus: (status) => board.update(shard, status),
      }),
  });
  coordinator.start();
  board.start(Math.max(200, Math.floor(settings.leaseTtlMs / 3)), () => coordinator?.ownedShards() ?? []);
  const running = coordinator;
  return {
    ownedShards: () => running.ownedShards(),
    shardMapVersion: () => follower.current.version,
    async stop() {
      await board.stop();
      await follower.stop();
      await running.stop();
    },
  };
}
