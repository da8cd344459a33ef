import { createFreshDatabase, type FreshDatabase, testServerUrls } from '@msi/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BinaryCopyRows } from './binary-copy.js';
import { copyIn } from './copy-in.js';
import { isDatabaseUnavailable } from './database-unavailable.js';
import { createPool, type Pool } from './pool.js';

let database: FreshDatabase;
let pool: Pool;
const COPY = 'COPY copied (id, small, big, data, name, note) FROM STDIN (FORMAT binary)';

beforeAll(async () => {
  database = await createFreshDatabase(testServerUrls().databaseUrl, 'copy_in');
  pool = createPool({ connectionString: database.url, applicationName: 'msi-copy-in-test' });
  await pool.query(`CREATE TABLE copied (
    id integer PRIMARY KEY, small smallint NOT NULL, big bigint NOT NULL, data bytea NOT NULL,
    name text NOT NULL, note text, extra text DEFAULT 'default')`);
});

afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

const row = (rows: BinaryCopyRows, id: number, big: number, name: string, note?: string) => {
  rows
    .row(6)
    .int4(id)
    .int2(-id)
    .int8(big)
    .bytes(Uint8Array.of(id, 0, 255))
    .text(name);
  if (note === undefined) rows.null();
  else rows.text(note);
};

describe('copyIn', () => {
  it('copies every row with its values as Postgres reads them, and resolves with the count', async () => {
    await pool.query('TRUNCATE copied');
    const rows = new BinaryCopyRows(16);
    row(rows, 1, Number.MAX_SAFE_INTEGER, 'acme', 'a note');
    row(rows, 2, Number.MIN_SAFE_INTEGER, 'Zürich ✓ 𝄞');
    row(rows, 3, -(2 ** 32) - 1, '', '');
    expect(await copyIn(pool, COPY, rows)).toBe(3);
    const { rows: stored } = await pool.query(
      'SELECT id, small, big::text AS big, encode(data, $1) AS data, name, note, extra FROM copied ORDER BY id',
      ['hex'],
    );
    expect(stored).toEqual([
      {
        id: 1,
        small: -1,
        big: '9007199254740991',
        data: '0100ff',
        name: 'acme',
        note: 'a note',
        extra: 'default',
      },
      {
        id: 2,
        small: -2,
        big: '-9007199254740991',
        data: '0200ff',
        name: 'Zürich ✓ 𝄞',
        note: null,
        extra: 'default',
      },
      { id: 3, small: -3, big: '-4294967297', data: '0300ff', name: '', note: '', extra: 'default' },
    ]);
  });

  it('takes part in a client’s transaction: a refused COPY aborts it and the client serves again', async () => {
    await pool.query('TRUNCATE copied');
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const first = new BinaryCopyRows();
      row(first, 10, 1, 'first');
      expect(await copyIn(client, COPY, first)).toBe(1);
      const again = new BinaryCopyRows();
      row(again, 11, 1, 'second');
      row(again, 10, 1, 'the same key');
      const refused = await copyIn(client, COPY, again).then(
        () => undefined,
        (error: unknown) => error as { code?: string; message: string },
      );
      expect(refused?.code).toBe('23505');
      expect(refused?.message).toMatch(/duplicate key/);
      await client.query('ROLLBACK');
      const { rows } = await client.query('SELECT count(*)::int AS n FROM copied');
      expect(rows[0]?.n).toBe(0);
    } finally {
      client.release();
    }
    expect((await pool.query('SELECT 1::int AS one')).rows[0]?.one).toBe(1);
  });

  it('refuses a row whose field count or field sizes do not fit the columns, copying none of the payload', async () => {
    await pool.query('TRUNCATE copied');
    const short = new BinaryCopyRows();
    row(short, 20, 1, 'kept out');
    short.row(2).int4(21).int2(1);
    await expect(copyIn(pool, COPY, short)).rejects.toThrow(/row field count is 2, expected 6/);
    const wrongSize = new BinaryCopyRows();
    wrongSize.row(6).int8(22).int2(1).int8(1).bytes(Uint8Array.of(1)).text('x').null();
    await expect(copyIn(pool, COPY, wrongSize)).rejects.toThrow(/incorrect binary data format/);
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM copied');
    expect(rows[0]?.n).toBe(0);
  });

  it('rejects, and does not hang, when the connection is lost; the pool serves again', async () => {
    const client = await pool.connect();
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    await pool.query('SELECT pg_terminate_backend($1::int4)', [rows[0]?.pid]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const payload = new BinaryCopyRows();
    row(payload, 30, 1, 'lost');
    const failed = await copyIn(client, COPY, payload).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isDatabaseUnavailable(failed)).toBe(true);
    client.release(true);
    expect((await pool.query('SELECT count(*)::int AS n FROM copied WHERE id = 30')).rows[0]?.n).toBe(0);
  });

  it('copies an empty payload as no rows', async () => {
    expect(await copyIn(pool, COPY, new BinaryCopyRows())).toBe(0);
  });
});
