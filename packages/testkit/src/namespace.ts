import { randomBytes } from 'node:crypto';
import { connectNats, deleteStreamsWithPrefix } from '@msi/nats';
import { jetstreamManager } from '@nats-io/jetstream';
import pg from 'pg';
import { inject } from 'vitest';
import './provided-context.js';

/** A prefix no other run uses, e.g. "t3f9a0c1d": streams, subjects and buckets all hang off it. */
export function uniquePrefix(): string {
  return `t${randomBytes(5).toString('hex')}`;
}

export interface FreshDatabase {
  readonly url: string;
  readonly name: string;
  drop(): Promise<void>;
}

/** Creates an empty database for one test file (and drops it, sessions and all, afterwards). */
export async function createFreshDatabase(adminUrl: string, label = 'msi'): Promise<FreshDatabase> {
  const name = `${label}_${randomBytes(6).toString('hex')}`;
  await withAdmin(adminUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () =>
      withAdmin(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(
        () => {},
      ),
  };
}

async function withAdmin<T>(adminUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Deletes every stream and KV bucket under `prefix` (cleanup after a test file). */
export async function deleteNatsNamespace(natsUrl: string, prefix: string): Promise<number> {
  const nc = await connectNats({ servers: natsUrl, name: 'msi-testkit-cleanup' });
  try {
    return await deleteStreamsWithPrefix(await jetstreamManager(nc), prefix);
  } finally {
    await nc.close();
  }
}

/** The servers the integration tier runs against (provided once per run by the global setup). */
export function testServerUrls(): { natsUrl: string; databaseUrl: string } {
  return { natsUrl: inject('natsUrl'), databaseUrl: inject('databaseUrl') };
}
