import { ConfigError } from '@msi/service-kit';
import { describe, expect, it } from 'vitest';
import { loadConfig, randomAggregatorId } from './config.js';

const problemsOf = (env: Record<string, string>): readonly string[] => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe('loadConfig', () => {
  it('has a default for everything, with a random aggregator id', () => {
    expect(loadConfig({}, () => 'agg-0001')).toEqual({
      natsUrl: 'nats://127.0.0.1:4222',
      prefix: 'msi',
      shards: 4,
      roundIntervalMs: 1000,
      aggregatorId: 'agg-0001',
      leaseTtlMs: 6000,
      graceMs: 250,
      maxSealLeaves: 4_194_304,
      natsReplicas: 1,
      shardMapPollMs: 500,
      metricsHost: '127.0.0.1',
      metricsPort: 9102,
      logLevel: 'info',
    });
    expect(randomAggregatorId()).toMatch(/^agg-[0-9a-f]{8}$/);
    expect(randomAggregatorId()).not.toBe(randomAggregatorId());
  });

  it('reads every variable', () => {
    const config = loadConfig({
      MSI_NATS_URL: 'nats://nats:4222',
      MSI_PREFIX: 'prod.msi',
      MSI_SHARDS: '16',
      MSI_ROUND_INTERVAL_MS: '500',
      MSI_AGGREGATOR_ID: 'agg_east-1',
      MSI_AGGREGATOR_LEASE_TTL_MS: '9000',
      MSI_AGGREGATOR_GRACE_MS: '100',
      MSI_AGGREGATOR_MAX_SEAL_LEAVES: '1000',
      MSI_NATS_REPLICAS: '3',
      MSI_AGGREGATOR_METRICS_HOST: '127.0.0.1',
      MSI_AGGREGATOR_METRICS_PORT: '0',
      MSI_LOG_LEVEL: 'debug',
    });
    expect(config).toMatchObject({
      prefix: 'prod.msi',
      shards: 16,
      aggregatorId: 'agg_east-1',
      metricsPort: 0,
    });
  });

  it('names every bad variable at once', () => {
    const problems = problemsOf({
      MSI_PREFIX: 'a.*',
      MSI_SHARDS: '0',
      MSI_AGGREGATOR_ID: 'has.dot',
      MSI_AGGREGATOR_LEASE_TTL_MS: 'soon',
      MSI_LOG_LEVEL: 'loud',
    });
    for (const name of [
      'MSI_PREFIX',
      'MSI_SHARDS',
      'MSI_AGGREGATOR_ID',
      'MSI_AGGREGATOR_LEASE_TTL_MS',
      'MSI_LOG_LEVEL',
    ]) {
      expect(problems.some((p) => p.startsWith(name))).toBe(true);
    }
  });
});
