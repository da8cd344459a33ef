import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import type { KeptServer } from './keep-server.js';
import { startKeeper } from './keeper-handle.js';
import type { RestartOptions } from './restarter.js';
import { startSupervisedKeeper } from './supervised-keeper.js';

export interface EmbeddedNats {
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  /** The nats-server's process id (a new one after a restart). */
  readonly serverPid: number;
  stop(): Promise<void>;
}

/** Where nats-server is, or a message saying exactly how to get it. */
export function findNatsServer(): string {
  const found = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' });
  const path = found.stdout.trim();
  if (found.status === 0 && path !== '') return path;
  throw new Error(
    'nats-server is not on PATH. Install it (Debian/Ubuntu: `apt-get install nats-server`; elsewhere: ' +
      'https://docs.nats.io/running-a-nats-service/introduction/installation), or set NATS_URL to a server with JetStream.',
  );
}

/** Options of {@link startEmbeddedNats}. */
export interface EmbeddedNatsOptions {
  /** The JetStream store (kept); default a fresh temp dir, deleted on stop. */
  readonly storeDir?: string;
  readonly port?: number;
  /** Called if the server exits before stop(), with the end of what it wrote to stderr. */
  readonly onUnexpectedExit?: (detail: string) => void;
  /**
   * Run nats-server under a detached keeper process (server-keeper.ts) instead of as a plain child:
   * a terminal's Ctrl-C does not reach it, so it can be stopped after the services that use it,
   * and it still stops when this process dies (even by SIGKILL). Default false (a plain child).
   */
  readonly isolated?: boolean;
  /**
   * With `isolated`: when the server (or its keeper) dies, start it again on the same port with the
   * same store, with backoff (see supervised-keeper.ts); `onUnexpectedExit` is then not called, the
   * restart's events tell. Default: a dead server stays down.
   */
  readonly restart?: RestartOptions;
}

/** Starts a nats-server with JetStream on a free loopback port, storing under a fresh temp dir. */
export async function startEmbeddedNats(options: EmbeddedNatsOptions = {}): Promise<EmbeddedNats> {
  const binary = findNatsServer();
  const port = options.port ?? (await freePort());
  const storeDir = options.storeDir ?? (await mkdtemp(join(tmpdir(), 'msi-nats-')));
  const onUnexpectedExit = options.onUnexpectedExit ?? (() => {});
  const spec = { kind: 'nats', binary, port, storeDir, persistent: options.storeDir !== undefined } as const;
  if (options.restart !== undefined && options.isolated !== true) {
    throw new Error('startEmbeddedNats: restart needs isolated (a keeper to restart)');
  }
  const server =
    options.restart !== undefined
      ? await startSupervisedKeeper('nats', spec, {}, options.restart)
      : options.isolated
        ? await startKeeper(spec, { onUnexpectedExit })
        : await spawnNatsServer({ binary, port, storeDir, onUnexpectedExit });
  return {
    url: server.url,
    port,
    storeDir,
    get serverPid() {
      return 'serverPid' in server ? server.serverPid : server.pid;
    },
    async stop() {
      await server.stop();
      if (options.storeDir === undefined) await rm(storeDir, { recursive: true, force: true });
    },
  };
}

/**
 * Runs `binary` as a child with JetStream on 127.0.0.1:`port`, storing in `storeDir`; resolves once
 * the port accepts connections. stop() sends SIGTERM and waits for the exit; if this process exits
 * first, the child is killed. Used in-process and by the keeper.
 */
export async function spawnNatsServer(options: {
  readonly binary: string;
  readonly port: number;
  readonly storeDir: string;
  readonly onUnexpectedExit: (detail: string) => void;
}): Promise<KeptServer> {
  const { port } = options;
  const child: ChildProcess = spawn(
    options.binary,
    ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', options.storeDir],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  let stopping = false;
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-8192);
  });
  // A plain child outlives a parent that exits without stop() (process.exit() from an exit hook,
  // vitest after a teardown timeout): kill it as this process exits. (SIGKILL of this process is
  // what a keeper is for: `isolated`.)
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', (code, signal) => {
    process.off('exit', killOnExit);
    if (!stopping)
      options.onUnexpectedExit(`nats-server exited (code ${code}, signal ${signal}): ${stderr.slice(-2000)}`);
  });
  try {
    await waitForPort(port, 10_000, () =>
      child.exitCode !== null ? `nats-server exited: ${stderr}` : undefined,
    );
  } catch (error: unknown) {
    stopping = true;
    child.kill('SIGKILL');
    throw error;
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    pid: child.pid ?? 0,
    async stop() {
      stopping = true;
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

export async function waitForPort(
  port: number,
  timeoutMs: number,
  failed: () => string | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const reason = failed();
    if (reason !== undefined) throw new Error(reason);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`port ${port} did not open within ${timeoutMs} ms`);
}
