import { formatVerifierKey, generateNoteKey, parseSignerKey, verifierKeyOf } from '@msi/core';
import { ConfigError } from '@msi/service-kit';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

const key = formatVerifierKey(
  verifierKeyOf(parseSignerKey(generateNoteKey('log.example', new Uint8Array(32).fill(3)).signerKey)),
);
const base = {
  MSI_ALERTER_DATABASE_URL: 'postgres://x@127.0.0.1/db',
  MSI_ALERTER_CALENDAR_KEY: key,
  MSI_ALERTER_POLICY_FILE: '/etc/msi/policy.yaml',
};

describe('loadConfig', () => {
  it('reads defaults', () => {
    const config = loadConfig(base);
    expect(config.grpcPort).toBe(50054);
    expect(config.prefix).toBe('msi');
    expect(config.policyPollMs).toBe(1000);
    expect(config.credentialsFile).toBeUndefined();
    expect(config.calendarKey).toBe(key);
  });

  it('names every problem at once', () => {
    let thrown: unknown;
    try {
      loadConfig({ MSI_ALERTER_CALENDAR_KEY: 'nope', MSI_ALERTER_PORT: '70000', MSI_PREFIX: 'bad prefix' });
    } catch (error: unknown) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    const text = (thrown as ConfigError).problems.join('\n');
    for (const name of [
      'MSI_PREFIX',
      'MSI_ALERTER_CALENDAR_KEY',
      'MSI_ALERTER_PORT',
      'MSI_ALERTER_DATABASE_URL',
      'MSI_ALERTER_POLICY_FILE',
    ]) {
      expect(text).toContain(name);
    }
  });
});
