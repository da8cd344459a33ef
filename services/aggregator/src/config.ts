import { randomBytes } from 'node:crypto';
import { assertValidPrefix, MAX_SHARDS } from '@msi/nats';
import { ConfigReader, type LogLevel } from '@msi/service-kit';

/** The aggregator's settings, read once from the environment by main.ts (see README.md). */
export interface Config {
  readonly natsUrl: string;
  readonly prefix: string;
  readonly shards: number;
  readonly roundIntervalMs: number;
  /** This process's id: lease owner, heartbeat key `instance.<id>`, `aggregator_id` of its seals. */
  readonly aggregatorId: string;
  readonly leaseTtlMs: number;
  /** How long after a window's end (by this clock) a quiet shard waits before sealing it. */
  readonly graceMs: number;
  /** A seal closes once it holds this many leaves; part of the sealing rule, the same on every process. */
  readonly maxSealLeaves: number;
  readonly natsReplicas: number;
  /** How often the shard map (KV `<P>_SHARDS`) is read again; a new version is followed without restart. */
  readonly shardMapPollMs: number;
  readonly metricsHost: string;
  /** 0 = no metrics server. */
  readonly metricsPort: number;
  readonly logLevel: LogLevel;
}

const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** A fresh random aggregator id, e.g. "agg-3f9a0c1d". */
export function randomAggregatorId(): string {
  return `agg-${randomBytes(4).toString('hex')}`;
}

/**
 * Reads and validates the configuration; throws a ConfigError naming every bad variable at once.
 * `randomId` supplies MSI_AGGREGATOR_ID when it is unset.
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>>,
  randomId: () => string = randomAggregatorId,
): Config {
  const r = new ConfigReader(env);
  const prefix = r.validated('MSI_PREFIX', 'msi', assertValidPrefix);
  const aggregatorId = r.string('MSI_AGGREGATOR_ID', randomId());
  if (!ID_PATTERN.test(aggregatorId)) {
    r.problem(`MSI_AGGREGATOR_ID=${JSON.stringify(aggregatorId)} must be 1-64 characters of [A-Za-z0-9_-]`);
  }
  const config: Config = {
    natsUrl: r.string('MSI_NATS_URL', 'nats://127.0.0.1:4222'),
    prefix,
    shards: r.integer('MSI_SHARDS', 4, { min: 1, max: MAX_SHARDS }),
    roundIntervalMs: r.integer('MSI_ROUND_INTERVAL_MS', 1000, { min: 10, max: 3_600_000 }),
    aggregatorId,
    leaseTtlMs: r.integer('MSI_AGGREGATOR_LEASE_TTL_MS', 6000, { min: 300, max: 600_000 }),
    graceMs: r.integer('MSI_AGGREGATOR_GRACE_MS', 250, { min: 0, max: 60_000 }),
    maxSealLeaves: r.integer('MSI_AGGREGATOR_MAX_SEAL_LEAVES', 4_194_304, { min: 1, max: 67_108_864 }),
    natsReplicas: r.integer('MSI_NATS_REPLICAS', 1, { min: 1, max: 5 }),
    shardMapPollMs: r.integer('MSI_SHARD_MAP_POLL_MS', 500, { min: 50, max: 60_000 }),
    ...r.metricsListener('MSI_AGGREGATOR_METRICS_HOST', 'MSI_AGGREGATOR_METRICS_PORT', 9102),
    logLevel: r.oneOf('MSI_LOG_LEVEL', ['debug', 'info', 'warn', 'error'], 'info'),
  };
  r.done();
  return config;
}
