import { createFreshDatabase, type FreshDatabase, testServerUrls } from '@msi/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDatabaseUnavailable } from './database-unavailable.js';
import { createPool, type Pool } from './pool.js';

let database: FreshDatabase;
let pool: Pool;
let admin: Pool;

beforeAll(async () => {
  database = await createFreshDatabase(testServerUrls().databaseUrl, 'pool');
  pool = createPool({ connectionString: database.url, applicationName: 'msi-pool-test' });
  admin = createPool({ connectionString: database.url, applicationName: 'msi-pool-test-admin' });
});

afterAll(async () => {
  await pool?.end();
  await admin?.end();
  await database?.drop();
});

describe('createPool', () => {
  it('survives a checked-out connection terminated by the server (57P01), and serves again', async () => {
    const client = await pool.connect();
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    // What a server restart does to every connection: without a listener on the checked-out
    // client, its 'error' event would be unhandled and end this process.
    await admin.query('SELECT pg_terminate_backend($1::int4)', [rows[0]?.pid]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const failed = await client.query('SELECT 1').then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isDatabaseUnavailable(failed)).toBe(true);
    client.release(failed as Error);
    const again = await pool.query<{ one: number }>('SELECT 1::int4 AS one');
    expect(again.rows[0]?.one).toBe(1);
  });

  it('turns JIT off on its connections unless asked, and the connection string has the last word', async () => {
    const jitOf = async (p: Pool) =>
      (
        await p.query<{ setting: string; source: string }>(
          "SELECT setting, source FROM pg_settings WHERE name = 'jit'",
        )
      ).rows[0];
    expect(await jitOf(pool)).toEqual({ setting: 'off', source: 'client' });
    const withJit = createPool({ connectionString: database.url, jit: true });
    const url = new URL(database.url);
    url.searchParams.set('options', '-c jit=on');
    const fromUrl = createPool({ connectionString: url.toString() });
    try {
      // The server's own setting, whatever it is: the pool sets nothing.
      expect((await jitOf(withJit))?.source).not.toBe('client');
      expect(await jitOf(fromUrl)).toEqual({ setting: 'on', source: 'client' });
    } finally {
      await withJit.end();
      await fromUrl.end();
    }
  });
});
