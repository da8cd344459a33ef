import type pg from 'pg';

/** Runs `work` on one client while holding session advisory lock `key` (released before the client is). */
export async function withAdvisoryLock<T>(
  pool: pg.Pool,
  key: number | bigint,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1::int8)', [key]);
    return await holding(client, key, work);
  } finally {
    client.release();
  }
}

/** Like {@link withAdvisoryLock} without waiting: undefined when another session holds the lock. */
export async function tryWithAdvisoryLock<T>(
  pool: pg.Pool,
  key: number | bigint,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T | undefined> {
  const client = await pool.connect();
  try {
    return (await tryAdvisoryLock(client, key)) ? await holding(client, key, work) : undefined;
  } finally {
    client.release();
  }
}

/** Runs `work` while `client` holds lock `key`, then unlocks it. */
async function holding<T>(
  client: pg.PoolClient,
  key: number | bigint,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  try {
    return await work(client);
  } finally {
    await client.query('SELECT pg_advisory_unlock($1::int8)', [key]).catch(() => {});
  }
}

/** Takes session advisory lock `key` on `client` if no other session holds it; true when taken. */
export async function tryAdvisoryLock(
  client: Pick<pg.PoolClient, 'query'>,
  key: number | bigint,
): Promise<boolean> {
  const { rows } = await client.query<{ locked: boolean }>(
    'SELECT pg_try_advisory_lock($1::int8) AS locked',
    [key],
  );
  return rows[0]?.locked === true;
}

/**
 * Whether the session with backend process id `pid` still holds session advisory lock `key`, asked
 * from another session (e.g. inside a transaction about to commit work only the holder may do). A
 * session that ended (its connection lost) holds nothing.
 */
export async function holdsAdvisoryLock(
  db: Pick<pg.PoolClient, 'query'>,
  pid: number,
  key: number | bigint,
): Promise<boolean> {
  const { rows } = await db.query<{ held: boolean }>(
    `SELECT EXISTS (
       SELECT 1 FROM pg_locks
       WHERE locktype = 'advisory' AND granted AND pid = $1::int4 AND objsubid = 1
         AND classid = (($2::int8 >> 32) & 4294967295)::oid AND objid = ($2::int8 & 4294967295)::oid
     ) AS held`,
    [pid, key],
  );
  return rows[0]?.held === true;
}
