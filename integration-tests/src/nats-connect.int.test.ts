// MSI_NATS_URL as operators write it — several servers separated by commas, credentials in the URL —
// against real nats-server processes: every service connects through @msi/nats connectNats.
import { type ChildProcess, spawn } from 'node:child_process';
import { connectNats } from '@msi/nats';
import { findNatsServer, freePort, waitForPort } from '@msi/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const USER = 'ingest';
const PASSWORD = 'p@ss:w/rd';
let server: ChildProcess;
let port: number;
let deadPort: number;

beforeAll(async () => {
  port = await freePort();
  deadPort = await freePort();
  server = spawn(
    findNatsServer(),
    ['-a', '127.0.0.1', '-p', String(port), '--user', USER, '--pass', PASSWORD],
    {
      stdio: 'ignore',
    },
  );
  await waitForPort(port, 10_000, () =>
    server.exitCode === null ? undefined : `nats-server exited with ${server.exitCode}`,
  );
}, 20_000);

afterAll(() => {
  server?.kill('SIGTERM');
});

const url = (credentials: string) => `nats://${credentials}127.0.0.1:${port}`;
const credentials = `${USER}:${encodeURIComponent(PASSWORD)}@`;

describe('connectNats with MSI_NATS_URL', () => {
  it('tries every server of a comma-separated list, not only the last one', async () => {
    const nc = await connectNats({
      servers: `${url(credentials)},nats://127.0.0.1:${deadPort}`,
      name: 'list-test',
    });
    expect(nc.getServer()).toBe(`127.0.0.1:${port}`);
    await nc.close();
  });

  it('authenticates with the user and password in the URL', async () => {
    const nc = await connectNats({ servers: url(credentials), name: 'auth-test' });
    await nc.flush();
    await nc.close();
  });

  it('is refused without them, or with a wrong password', async () => {
    await expect(connectNats({ servers: url(''), name: 'anonymous' })).rejects.toThrow(/Authorization/i);
    await expect(connectNats({ servers: url(`${USER}:wrong@`), name: 'wrong' })).rejects.toThrow(
      /Authorization/i,
    );
  });
});
