import { ConfigError } from '@msi/service-kit';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

const minimal = { MSI_INGEST_CREDENTIALS_FILE: '/etc/msi/credentials.json', MSI_INGEST_INSECURE: 'true' };

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error: unknown) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    const config = loadConfig(minimal);
    expect(config).toMatchObject({
      natsUrl: 'nats://127.0.0.1:4222',
      prefix: 'msi',
      shards: 4,
      roundIntervalMs: 1000,
      listenHost: '127.0.0.1',
      listenPort: 50051,
      transport: { kind: 'insecure' },
      maxBatch: 1000,
      natsReplicas: 1,
      maxInFlight: 50_000,
      dedupWindowMs: 24 * 3600_000,
      maxAgeMs: 7 * 24 * 3600_000,
      claimWindowMs: 10_000,
      lingerMs: 2,
      metricsPort: 9464,
      shardMapPollMs: 500,
      shardMapReportTtlMs: 5000,
      shardMapMaxStalenessMs: 30_000,
    });
  });

  it('refuses a shard map staleness that batches accepted under the old map could outlive', () => {
    const problems = problemsOf({ ...minimal, MSI_SHARD_MAP_MAX_STALENESS_MS: '15000' });
    expect(problems.join('\n')).toMatch(/MSI_SHARD_MAP_MAX_STALENESS_MS \(15000\) must exceed .* \(17000\)/);
  });

  it('reads TLS with an optional client CA', () => {
    const config = loadConfig({
      MSI_INGEST_CREDENTIALS_FILE: 'c.json',
      MSI_INGEST_TLS_CERT: 'server.crt',
      MSI_INGEST_TLS_KEY: 'server.key',
      MSI_INGEST_CLIENT_CA: 'clients.crt',
      MSI_INGEST_LISTEN: '[::1]:7000',
    });
    expect(config.transport).toEqual({
      kind: 'tls',
      certFile: 'server.crt',
      keyFile: 'server.key',
      clientCaFile: 'clients.crt',
      requireClientCert: false,
    });
    expect(config.listenHost).toBe('[::1]');
    expect(config.listenPort).toBe(7000);
  });

  it('refuses to serve plaintext unless told so explicitly', () => {
    const problems = problemsOf({ MSI_INGEST_CREDENTIALS_FILE: 'c.json' });
    expect(problems.join('\n')).toContain('MSI_INGEST_TLS_CERT');
  });

  it('names every bad variable at once', () => {
    const problems = problemsOf({
      MSI_SHARDS: '0',
      MSI_PREFIX: 'bad prefix',
      MSI_INGEST_LISTEN: 'nowhere',
      MSI_INGEST_INSECURE: 'true',
      MSI_INGEST_TLS_CERT: 'x.crt',
      MSI_INGEST_PUBLISH_TIMEOUT_MS: '20000',
      MSI_INGEST_REQUIRE_CLIENT_CERT: 'maybe',
    }).join('\n');
    for (const name of [
      'MSI_SHARDS',
      'MSI_PREFIX',
      'MSI_INGEST_LISTEN',
      'MSI_INGEST_INSECURE=true cannot be combined',
      'MSI_INGEST_CREDENTIALS_FILE',
      'MSI_INGEST_PUBLISH_TIMEOUT_MS',
      'MSI_INGEST_REQUIRE_CLIENT_CERT',
    ]) {
      expect(problems).toContain(name);
    }
  });

  it('bounds occurred_at (7 days) apart from the dedup window, which bounds the event id', () => {
    const config = loadConfig({ ...minimal, MSI_INGEST_DEDUP_WINDOW_MS: '3600000' });
    expect(config.dedupWindowMs).toBe(3_600_000);
    expect(config.maxAgeMs).toBe(7 * 24 * 3_600_000);
  });

  it('needs a client CA to require client certificates', () => {
    const problems = problemsOf({
      ...minimal,
      MSI_INGEST_INSECURE: 'false',
      MSI_INGEST_TLS_CERT: 'a',
      MSI_INGEST_TLS_KEY: 'b',
      MSI_INGEST_REQUIRE_CLIENT_CERT: 'true',
    });
    expect(problems.join('\n')).toContain('MSI_INGEST_CLIENT_CA');
  });

  it('serves OpenLineage only when MSI_INGEST_OPENLINEAGE_LISTEN is set', () => {
    expect(loadConfig(minimal).openLineage).toBeUndefined();
    expect(loadConfig({ ...minimal, MSI_INGEST_OPENLINEAGE_LISTEN: '' }).openLineage).toBeUndefined();
    const config = loadConfig({ ...minimal, MSI_INGEST_OPENLINEAGE_LISTEN: '127.0.0.1:5000' });
    expect(config.openLineage).toEqual({ host: '127.0.0.1', port: 5000 });
    expect(config.openLineageMaxBodyBytes).toBe(1024 * 1024);
  });

  it('names MSI_INGEST_OPENLINEAGE_LISTEN when it is not host:port', () => {
    for (const bad of ['5000', 'localhost', '127.0.0.1:99999', 'http://127.0.0.1:5000']) {
      const problems = problemsOf({ ...minimal, MSI_INGEST_OPENLINEAGE_LISTEN: bad });
      expect(problems).toEqual([
        `MSI_INGEST_OPENLINEAGE_LISTEN=${JSON.stringify(bad)} must be host:port, e.g. 127.0.0.1:50051`,
      ]);
    }
    expect(problemsOf({ ...minimal, MSI_INGEST_OPENLINEAGE_MAX_BODY_BYTES: '10' }).join('\n')).toContain(
      'MSI_INGEST_OPENLINEAGE_MAX_BODY_BYTES',
    );
  });
});
