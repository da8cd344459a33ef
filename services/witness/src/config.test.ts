import { randomBytes } from 'node:crypto';
import { generateNoteKey, NOTE_ALG_COSIGNATURE_V1 } from '@msi/core';
import { ConfigError } from '@msi/service-kit';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

const witness = generateNoteKey('witness.example/w1', randomBytes(32), NOTE_ALG_COSIGNATURE_V1);
const log1 = generateNoteKey('example.org/a', randomBytes(32));
const log2 = generateNoteKey('example.org/b', randomBytes(32));
const base = {
  MSI_WITNESS_KEY: witness.signerKey,
  MSI_WITNESS_LOGS: `${log1.verifierKey}, ${log2.verifierKey}`,
  MSI_WITNESS_STATE_FILE: '/var/lib/msi/witness.json',
};

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return [...(e as ConfigError).problems];
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('reads a full configuration with defaults', () => {
    const config = loadConfig(base);
    expect(config).toMatchObject({ host: '127.0.0.1', port: 7380, logLevel: 'info', devKeyFile: undefined });
    expect(config.logs).toEqual([log1.verifierKey, log2.verifierKey]);
    expect(loadConfig({ ...base, MSI_WITNESS_LISTEN: '[::1]:0' })).toMatchObject({ host: '::1', port: 0 });
  });

  it('accepts a dev key file instead of a key', () => {
    const { MSI_WITNESS_KEY: _, ...rest } = base;
    expect(loadConfig({ ...rest, MSI_WITNESS_DEV_KEY_FILE: '/tmp/w.key' }).devKeyFile).toBe('/tmp/w.key');
  });

  it('names every problem, and never echoes the secret key', () => {
    const found = problems({
      MSI_WITNESS_KEY: log1.signerKey, // a log key, not a witness key
      MSI_WITNESS_LOGS: `${witness.verifierKey},nonsense`,
      MSI_WITNESS_LISTEN: 'localhost',
    });
    const text = found.join('\n');
    expect(text).toContain('MSI_WITNESS_KEY');
    expect(text).toContain('MSI_WITNESS_LOGS[0]');
    expect(text).toContain('MSI_WITNESS_LOGS[1]');
    expect(text).toContain('MSI_WITNESS_LISTEN');
    expect(text).toContain('MSI_WITNESS_STATE_FILE');
    expect(text).not.toContain(log1.signerKey);
  });

  it('requires exactly one key source and at least one log', () => {
    const { MSI_WITNESS_KEY: _, ...rest } = base;
    expect(problems(rest).join('\n')).toContain('MSI_WITNESS_KEY is required');
    expect(problems({ ...base, MSI_WITNESS_DEV_KEY_FILE: '/tmp/k' }).join('\n')).toContain('not both');
    expect(problems({ ...base, MSI_WITNESS_LOGS: ' , ' }).join('\n')).toContain('at least one');
  });

  it('reads the tile logs to feed from, and refuses what is not an http(s) URL', () => {
    expect(loadConfig(base)).toMatchObject({ feedTiles: [], feedIntervalMs: 60_000 });
    expect(
      loadConfig({
        ...base,
        MSI_WITNESS_FEED_TILES: 'http://a.example/tiles/, https://b.example',
        MSI_WITNESS_FEED_INTERVAL_MS: '5000',
      }),
    ).toMatchObject({ feedTiles: ['http://a.example/tiles/', 'https://b.example'], feedIntervalMs: 5000 });
    const text = problems({
      ...base,
      MSI_WITNESS_FEED_TILES: 'ftp://x, nope',
      MSI_WITNESS_FEED_INTERVAL_MS: '10',
    }).join('\n');
    expect(text).toContain('MSI_WITNESS_FEED_TILES[0]');
    expect(text).toContain('MSI_WITNESS_FEED_TILES[1]');
    expect(text).toContain('MSI_WITNESS_FEED_INTERVAL_MS');
  });
});
