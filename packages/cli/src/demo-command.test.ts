import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from './cli-error.js';
import { runRecorded } from './memory-io.test-helper.js';

// Before any server is contacted, msi demo reads the API keys where npm start and msi up keep them.
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'msi-demo-command-'));
  await writeFile(join(dir, 'api-keys.json'), JSON.stringify([{ key: 'k-acme', tenant: 'acme' }]));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('msi demo finds the dev API keys as npm start and msi up do', () => {
  it('reads MSI_DATA_DIR/api-keys.json', async () => {
    const { status, stderr } = await runRecorded(['demo'], { env: { MSI_DATA_DIR: dir } });
    expect(stderr).toContain(`${join(dir, 'api-keys.json')} holds no API key for tenant globex`);
    expect(status).toBe(EXIT.usage);
  });

  it('prefers --data-dir to MSI_DATA_DIR', async () => {
    const { status, stderr } = await runRecorded(['demo', '--data-dir', join(dir, 'elsewhere')], {
      env: { MSI_DATA_DIR: dir },
    });
    expect(stderr).toContain(`cannot read ${join(dir, 'elsewhere', 'api-keys.json')}`);
    expect(status).toBe(EXIT.usage);
  });
});
