import { generateNoteKey, NOTE_ALG_COSIGNATURE_V1 } from '@msi/core';
import { ConfigError } from '@msi/service-kit';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { ApiKeys, CredentialsError } from './credentials.js';

const key = generateNoteKey('msi.dev/calendar', new Uint8Array(32).fill(1)).verifierKey;

describe('loadConfig', () => {
  it('applies defaults', () => {
    const config = loadConfig({
      MSI_VERIFIER_DATABASE_URL: 'postgres://x/y',
      MSI_VERIFIER_CALENDAR_KEY: key,
    });
    expect(config).toMatchObject({ prefix: 'msi', grpcPort: 50053, calendarKey: key, logLevel: 'info' });
    expect(config.receiptCacheBytes).toBe(128 * 1024 * 1024);
  });

  it('reads the receipt cache budget in MiB and names it when it is not a count', () => {
    const base = { MSI_VERIFIER_DATABASE_URL: 'postgres://x/y', MSI_VERIFIER_CALENDAR_KEY: key };
    expect(loadConfig({ ...base, MSI_VERIFIER_RECEIPT_CACHE_MIB: '0' }).receiptCacheBytes).toBe(0);
    expect(loadConfig({ ...base, MSI_VERIFIER_RECEIPT_CACHE_MIB: '16' }).receiptCacheBytes).toBe(16 << 20);
    expect(() => loadConfig({ ...base, MSI_VERIFIER_RECEIPT_CACHE_MIB: 'lots' })).toThrow(
      /MSI_VERIFIER_RECEIPT_CACHE_MIB/,
    );
  });

  it('names every problem at once', () => {
    try {
      loadConfig({ MSI_VERIFIER_CALENDAR_KEY: 'not-a-key', MSI_VERIFIER_PORT: 'x', MSI_LOG_LEVEL: 'loud' });
      expect.unreachable();
    } catch (error: unknown) {
      expect(error).toBeInstanceOf(ConfigError);
      const text = (error as ConfigError).problems.join('\n');
      for (const name of [
        'MSI_VERIFIER_DATABASE_URL',
        'MSI_VERIFIER_CALENDAR_KEY',
        'MSI_VERIFIER_PORT',
        'MSI_LOG_LEVEL',
      ])
        expect(text).toContain(name);
    }
  });

  it('reads optional witness keys and refuses a log key or garbage among them', () => {
    const w1 = generateNoteKey('w1.test', new Uint8Array(32).fill(2), NOTE_ALG_COSIGNATURE_V1).verifierKey;
    const w2 = generateNoteKey('w2.test', new Uint8Array(32).fill(3), NOTE_ALG_COSIGNATURE_V1).verifierKey;
    const base = { MSI_VERIFIER_DATABASE_URL: 'postgres://x/y', MSI_VERIFIER_CALENDAR_KEY: key };
    expect(loadConfig(base).witnessKeys).toEqual([]);
    expect(loadConfig({ ...base, MSI_VERIFIER_WITNESS_KEYS: `${w1}, ${w2}` }).witnessKeys).toEqual([w1, w2]);
    for (const bad of [key, 'nope']) {
      expect(() => loadConfig({ ...base, MSI_VERIFIER_WITNESS_KEYS: `${w1},${bad}` })).toThrow(
        /MSI_VERIFIER_WITNESS_KEYS/,
      );
    }
  });
});

describe('ApiKeys', () => {
  const keys = ApiKeys.fromJson(
    JSON.stringify({ credentials: [{ key: 'k1', tenant: 'acme', principal: 'a', roles: ['auditor'] }] }),
  );

  it('maps a key to its identity and refuses others', () => {
    expect(keys.byApiKey('k1')?.tenant).toBe('acme');
    expect(keys.byApiKey('k2')).toBeUndefined();
  });

  it('refuses a malformed file, naming the entry', () => {
    expect(() =>
      ApiKeys.fromJson('{"credentials":[{"key":"k","tenant":"Bad!","principal":"a","roles":[]}]}'),
    ).toThrow(CredentialsError);
  });
});
