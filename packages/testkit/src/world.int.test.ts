// The world fixture on the real test servers: what it starts is there while it runs and gone
// afterwards; deferred cleanups run last first, all of them even when one fails.
import { existsSync } from 'node:fs';
import { connectNats, ensureStreams, streamNamesFor } from '@msi/nats';
import { jetstreamManager } from '@nats-io/jetstream';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { testServerUrls } from './namespace.js';
import { openWorld } from './world.js';

async function databaseExists(name: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: testServerUrls().databaseUrl });
  await client.connect();
  try {
    return (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
  } finally {
    await client.end();
  }
}

describe('a test world', () => {
  it('gives a prefix, a database, a directory and a connection, and takes them all down', async () => {
    const { world, close } = await openWorld({ label: 'world', database: true, nats: true });
    const order: string[] = [];
    world.defer(() => order.push('first deferred'));
    world.defer(() => order.push('last deferred'));
    expect(world.prefix).toMatch(/^t[0-9a-f]{10}$/);
    expect(existsSync(world.workDir)).toBe(true);
    expect(await databaseExists(world.database.name)).toBe(true);
    expect(world.databaseUrl).toContain(world.database.name);
    const jsm = await jetstreamManager(world.nc);
    await ensureStreams(jsm, world.prefix, { replicas: 1, eventsMaxAgeMs: 60_000, duplicateWindowMs: 1000 });
    expect((await jsm.streams.info(streamNamesFor(world.prefix).events)).config.name).toBe(
      streamNamesFor(world.prefix).events,
    );
    expect(() => world.pipeline).toThrow(/world world: no pipeline \(it needs the pipeline option/);

    const { database, workDir, prefix, nc } = world;
    await close();
    expect(order).toEqual(['last deferred', 'first deferred']);
    expect(nc.isClosed()).toBe(true);
    expect(existsSync(workDir)).toBe(false);
    expect(await databaseExists(database.name)).toBe(false);
    const { natsUrl } = testServerUrls();
    const other = await connectNats({ servers: natsUrl, name: 'world-test' });
    try {
      const names: string[] = [];
      for await (const name of (await jetstreamManager(other)).streams.names()) names.push(name);
      expect(names.filter((n) => n.startsWith(prefix.toUpperCase()))).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('runs every cleanup when one fails, then reports the failure', async () => {
    const { world, close } = await openWorld({ label: 'world_failing' });
    const ran: string[] = [];
    world.defer(() => ran.push('after the failing one'));
    world.defer(() => {
      throw new Error('cannot clean');
    });
    world.defer(() => ran.push('before the failing one'));
    const workDir = world.workDir;
    await expect(close()).rejects.toThrow(/world world_failing: 1 cleanup\(s\) failed/);
    expect(ran).toEqual(['before the failing one', 'after the failing one']);
    expect(existsSync(workDir)).toBe(false);
  });

  it('refuses a fixed prefix on the shared test servers', async () => {
    await expect(openWorld({ label: 'world_fixed', prefix: 'msi' })).rejects.toThrow(
      /a fixed prefix needs a NATS server of the test's own/,
    );
  });
});
