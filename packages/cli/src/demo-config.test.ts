import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliError } from './cli-error.js';
import { apiKeysByTenant, loadDemoKeys } from './demo-config.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'msi-demo-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the demo API keys', () => {
  it('reads acme and globex from api-keys.json as npm start writes it', async () => {
    const keys = [
      { key: 'k-acme', tenant: 'acme', principal: 'acme-pipeline', roles: ['emitter', 'auditor'] },
      { key: 'k-globex', tenant: 'globex', principal: 'globex-pipeline', roles: ['emitter', 'auditor'] },
    ];
    await writeFile(join(dir, 'api-keys.json'), JSON.stringify(keys));
    expect(await loadDemoKeys(dir, {})).toEqual({ acme: 'k-acme', globex: 'k-globex' });
    expect(await loadDemoKeys(dir, { acme: 'flag' })).toEqual({ acme: 'flag', globex: 'k-globex' });
  });

  it('needs no file when both keys are flags, and says how to fix a missing file', async () => {
    const missing = join(dir, 'nowhere');
    expect(await loadDemoKeys(missing, { acme: 'a', globex: 'g' })).toEqual({ acme: 'a', globex: 'g' });
    await expect(loadDemoKeys(missing, {})).rejects.toThrow(/npm start/);
  });

  it('rejects a file that is not an array of keys, and one without a tenant', async () => {
    expect(() => apiKeysByTenant('{"key":"x"}', 'f')).toThrow(CliError);
    expect(() => apiKeysByTenant('not json', 'f')).toThrow(/not JSON/);
    await writeFile(join(dir, 'api-keys.json'), JSON.stringify([{ key: 'k', tenant: 'acme' }, 7]));
    await expect(loadDemoKeys(dir, {})).rejects.toThrow(/no API key for tenant globex/);
  });
});
