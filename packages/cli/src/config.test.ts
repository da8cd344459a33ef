import { describe, expect, it } from 'vitest';
import { CliError } from './cli-error.js';
import { ingestConnection } from './config.js';

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
