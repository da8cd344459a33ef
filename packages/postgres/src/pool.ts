import pg from 'pg';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

export interface PoolOptions {
  /** postgres://user@host:port/database */
  readonly connectionString: string;
  readonly max?: number;
  readonly applicationName?: string;
  /** How long a checkout may wait for a new connection before failing (default 10 s; 0 = forever). */
  readonly connectTimeoutMs?: number;
  /**
   * Let Postgres JIT-compile expensive plans (default false). Our statements are bounded lookups and
   * bulk writes that run in milliseconds, but a projection without planner statistics yet (every
   * fresh one) gets estimates thousands of times too high: auto_explain showed WatchReceipts' lookup
   * of 10,000 listed ids, 90,000 buffer hits, taking 0.76–1.27 s with JIT inlining and optimizing 58
   * functions. So connections start with `-c jit=off` (the startup `options`; an `options` in the
   * connection string replaces it, and a pooler that refuses startup options needs it allowed, as
   * PgBouncer's ignore_startup_parameters does, or JIT turned off in the server's settings).
   */
  readonly jit?: boolean;
}

/** A pool whose bigint columns come back as JS bigint (never silently rounded numbers). */
export function createPool(options: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'msi',
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    ...(options.jit === true ? {} : { options: '-c jit=off' }),
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === 20
          ? (value: string) => BigInt(value)
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  // Nor may a checked-out one (pg-pool removes its own listener on checkout): a server restarting
  // sends 57P01 to every connection, and an 'error' event without a listener kills the process. The
  // query in progress, or the next one, rejects instead (isDatabaseUnavailable), and the broken
  // client is discarded when it is released.
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  return pool;
}

/** Runs `work` in a transaction: COMMIT when it resolves, ROLLBACK when it throws. */
export async function inTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error: unknown) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
