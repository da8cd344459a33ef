import { generateNoteKey, NOTE_ALG_COSIGNATURE_V1 } from '@msi/core';
import { ConfigError } from '@msi/service-kit';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { testKey } from './fixtures.test-helper.js';

const key = testKey();
const witnessKey = generateNoteKey('test.witness', new Uint8Array(32).fill(9), NOTE_ALG_COSIGNATURE_V1);
const base = { MSI_DATABASE_URL: 'postgres://app@db/msi', MSI_CALENDAR_SIGNING_KEY: key.signerKey };

function problems(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env);
  } catch (error: unknown) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadConfig', () => {
  it('applies the defaults', () => {
    const config = loadConfig(base);
    expect(config).toMatchObject({
      natsUrl: 'nats://127.0.0.1:4222',
      prefix: 'msi',
      intervalMs: 1000,
      databaseUrl: base.MSI_DATABASE_URL,
      migrationUrl: base.MSI_DATABASE_URL,
      appRole: 'msi_calendar_app',
      devKeyFile: undefined,
      leaseMs: 5000,
      metricsPort: 0,
      natsReplicas: 1,
      witnesses: [],
      witnessTimeoutMs: 5000,
      witnessIntervalMs: 1000,
      tilesDir: undefined,
      publicationIntervalMs: 86_400_000,
    });
    expect(config.instanceId).toMatch(/^calendar-/);
    expect(loadConfig(base).instanceId).not.toBe(config.instanceId);
  });

  it('reads every variable', () => {
    const config = loadConfig({
      ...base,
      MSI_PREFIX: 't1.msi',
      MSI_ROUND_INTERVAL_MS: '250',
      MSI_CALENDAR_MIGRATION_URL: 'postgres://owner@db/msi',
      MSI_CALENDAR_APP_ROLE: 'calendar_writer_role',
      MSI_CALENDAR_INSTANCE_ID: 'cal-a',
      MSI_CALENDAR_LEASE_MS: '1500',
      MSI_CALENDAR_METRICS_PORT: '9464',
      MSI_CALENDAR_WITNESSES: `http://127.0.0.1:7380=${witnessKey.verifierKey}`,
      MSI_CALENDAR_WITNESS_TIMEOUT_MS: '1500',
      MSI_CALENDAR_WITNESS_INTERVAL_MS: '3600000',
      MSI_CALENDAR_TILES_DIR: '/var/lib/msi/tiles',
    });
    expect(config.witnesses.map((w) => [w.name, w.url])).toEqual([['test.witness', 'http://127.0.0.1:7380']]);
    expect(config.witnessTimeoutMs).toBe(1500);
    expect(config.witnessIntervalMs).toBe(3_600_000);
    expect(config.tilesDir).toBe('/var/lib/msi/tiles');
    expect(config).toMatchObject({
      prefix: 't1.msi',
      intervalMs: 250,
      migrationUrl: 'postgres://owner@db/msi',
      appRole: 'calendar_writer_role',
      instanceId: 'cal-a',
      leaseMs: 1500,
      metricsPort: 9464,
    });
  });

  it('accepts a dev key file instead of a key', () => {
    const config = loadConfig({ MSI_DATABASE_URL: 'postgres://x', MSI_CALENDAR_DEV_KEY_FILE: '/tmp/k' });
    expect(config).toMatchObject({
      signingKey: undefined,
      devKeyFile: '/tmp/k',
      devKeyName: 'msi-dev-calendar',
    });
  });

  it('names every problem at once, without echoing the secret', () => {
    const found = problems({
      MSI_PREFIX: 'a..b',
      MSI_ROUND_INTERVAL_MS: '0',
      MSI_CALENDAR_APP_ROLE: 'Robert"; DROP',
      MSI_CALENDAR_SIGNING_KEY: 'PRIVATE+KEY+x+00000000+c2VjcmV0',
      MSI_CALENDAR_WITNESSES: 'http://w=not-a-key',
    });
    const text = found.join('\n');
    for (const name of [
      'MSI_PREFIX',
      'MSI_ROUND_INTERVAL_MS',
      'MSI_DATABASE_URL',
      'MSI_CALENDAR_APP_ROLE',
      'MSI_CALENDAR_SIGNING_KEY',
      'MSI_CALENDAR_WITNESSES',
    ]) {
      expect(text).toContain(name);
    }
    expect(text).not.toContain('c2VjcmV0');
  });

  it.each([
    ['no key and no dev mode', { MSI_DATABASE_URL: 'postgres://x' }, 'MSI_CALENDAR_SIGNING_KEY is required'],
    ['both key sources', { ...base, MSI_CALENDAR_DEV_KEY_FILE: '/tmp/k' }, 'not both'],
    [
      'a lease no longer than the interval',
      { ...base, MSI_CALENDAR_LEASE_MS: '1000' },
      'MSI_CALENDAR_LEASE_MS',
    ],
  ])('refuses %s', (_name, env, message) => {
    expect(problems(env).join('\n')).toContain(message);
  });

  it('reads the publication interval: 0 turns publications off, otherwise whole seconds ≥ 1 s', () => {
    expect(loadConfig({ ...base, MSI_CALENDAR_PUBLICATION_INTERVAL_MS: '0' }).publicationIntervalMs).toBe(0);
    expect(loadConfig({ ...base, MSI_CALENDAR_PUBLICATION_INTERVAL_MS: '2000' }).publicationIntervalMs).toBe(
      2000,
    );
    for (const bad of ['500', '1500', '-1', 'daily']) {
      const found = problems({ ...base, MSI_CALENDAR_PUBLICATION_INTERVAL_MS: bad });
      expect(found.some((p) => p.includes('MSI_CALENDAR_PUBLICATION_INTERVAL_MS'))).toBe(true);
    }
  });
});
