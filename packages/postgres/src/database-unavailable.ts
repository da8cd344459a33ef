import pg from 'pg';

/**
 * SQLSTATEs that mean "the database is away or refusing connections for now", not "this statement
 * is wrong": connection exceptions (class 08), the server shutting down or starting up (57P01
 * admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now) and too many connections (53300).
 */
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[123]|53300)$/;

/** Socket errors of a database host that is down, restarting or unreachable. */
const SOCKET_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * The errors pg and pg-pool raise for a lost or impossible connection. They carry no code, so they
 * are known by their exact text (pg 8 / pg-pool 3; pinned by database-unavailable.test.ts).
 */
const CONNECTION_MESSAGES: ReadonlySet<string> = new Set([
  'Connection terminated unexpectedly',
  'Connection terminated',
  'Connection terminated due to connection timeout',
  'timeout exceeded when trying to connect',
  'timeout expired',
  'Query read timeout',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
]);

/**
 * Whether `error` (from a query, a pool checkout or a transaction) means the database is
 * unavailable for now — an outage or restart that a retry a little later gets past — rather than
 * a bad statement or a bug. Services answer these UNAVAILABLE with a retry hint, never INTERNAL.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error instanceof pg.DatabaseError) return UNAVAILABLE_SQLSTATE.test(error.code ?? '');
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && SOCKET_CODES.has(code)) return true;
  if (CONNECTION_MESSAGES.has(error.message)) return true;
  // AggregateError (several addresses refused) and errors wrapping a cause.
  if (error instanceof AggregateError && error.errors.some((e) => isDatabaseUnavailable(e))) return true;
  return error.cause !== undefined && error.cause !== error && isDatabaseUnavailable(error.cause);
}

/**
 * Resolves once the database answers `SELECT 1`, retrying every `intervalMs` while it is unavailable
 * (isDatabaseUnavailable): a service started before its database, or while it restarts, waits for it
 * instead of exiting and being restarted in a loop. Any other error (a wrong password, a missing
 * database) is thrown at once. `onWait` hears of each failed attempt (to log it).
 */
export async function waitForDatabase(
  db: { query(text: string): Promise<unknown> },
  options: { intervalMs?: number; onWait?: (error: unknown, attempt: number) => void } = {},
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await db.query('SELECT 1');
      return;
    } catch (error: unknown) {
      if (!isDatabaseUnavailable(error)) throw error;
      options.onWait?.(error, attempt);
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 1000));
    }
  }
}
