import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliError } from './cli-error.js';
import {
  alerterConnection,
  colorOutput,
  devStackSettings,
  ingestConnection,
  REPOSITORY_ROOT,
} from './config.js';

describe('ingestConnection', () => {
  it('prefers the flags over the environment', () => {
    const env = { MSI_INGEST_ADDRESS: 'env-host:1', MSI_API_KEY: 'env-key' };
    expect(ingestConnection({ server: 'flag-host:2', apiKey: 'flag-key', insecure: true }, env)).toEqual({
      address: 'flag-host:2',
      apiKey: 'flag-key',
      insecure: true,
    });
    expect(ingestConnection({ insecure: false, ca: 'ca.pem' }, env)).toEqual({
      address: 'env-host:1',
      apiKey: 'env-key',
      insecure: false,
      caFile: 'ca.pem',
    });
  });

  it.each([
    [{ insecure: false }, {}, /no ingest server/],
    [{ insecure: false }, { MSI_INGEST_ADDRESS: '' }, /no ingest server/],
    [{ server: 'localhost', insecure: false }, {}, /"localhost" is not host:port/],
    [{ server: 'h:1', insecure: true, ca: 'x' }, {}, /contradict/],
  ])('refuses %j with env %j', (flags, env, message) => {
    expect(() => ingestConnection(flags, env)).toThrow(message);
    try {
      ingestConnection(flags, env);
    } catch (error: unknown) {
      expect(error instanceof CliError && error.code).toBe('USAGE');
    }
  });
});

describe('alerterConnection', () => {
  it("defaults to npm start's alerter, then MSI_ALERTER_ADDRESS, then --server", () => {
    expect(alerterConnection({ insecure: true }, {}).address).toBe('127.0.0.1:50054');
    expect(alerterConnection({ insecure: true }, { MSI_ALERTER_ADDRESS: '' }).address).toBe(
      '127.0.0.1:50054',
    );
    const env = { MSI_ALERTER_ADDRESS: 'alerts:443', MSI_API_KEY: 'k' };
    expect(alerterConnection({ insecure: false }, env)).toEqual({
      address: 'alerts:443',
      apiKey: 'k',
      insecure: false,
    });
    expect(alerterConnection({ server: 'h:1', insecure: true }, env).address).toBe('h:1');
  });
});

describe('colorOutput and devStackSettings', () => {
  it('colour only on a terminal without NO_COLOR', () => {
    expect(colorOutput(true, {})).toBe(true);
    expect(colorOutput(true, { NO_COLOR: '1' })).toBe(false);
    expect(colorOutput(false, {})).toBe(false);
    expect(colorOutput(undefined, {})).toBe(false);
  });

  it('msi up reads the variables npm start reads, empty meaning unset', () => {
    expect(
      devStackSettings({ MSI_NATS_URL: 'nats://n:4222', MSI_DATABASE_URL: '', MSI_DATA_DIR: '/d' }),
    ).toEqual({
      natsUrl: 'nats://n:4222',
      databaseUrl: undefined,
      dataDir: '/d',
    });
  });

  it('resolves the data directory once: --data-dir, else MSI_DATA_DIR, else .msi in the repository', () => {
    const env = { MSI_DATA_DIR: 'from-env' };
    expect(devStackSettings(env, '/flag', '/cwd').dataDir).toBe('/flag');
    expect(devStackSettings(env, undefined, '/cwd').dataDir).toBe('/cwd/from-env');
    expect(devStackSettings({ MSI_DATA_DIR: '/abs/dir/' }, undefined, '/cwd').dataDir).toBe('/abs/dir');
    expect(devStackSettings({}, 'rel', '/cwd').dataDir).toBe('/cwd/rel');
    expect(devStackSettings({ MSI_DATA_DIR: '' }, undefined, '/cwd').dataDir).toBe(
      join(REPOSITORY_ROOT, '.msi'),
    );
    expect(join(REPOSITORY_ROOT, 'pnpm-workspace.yaml')).toMatch(/pnpm-workspace\.yaml$/);
  });
});
