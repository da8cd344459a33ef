import { CodedError } from '@msi/core';
import { holdsAdvisoryLock, type Pool, type PoolClient, toSafeInteger, tryAdvisoryLock } from '@msi/postgres';
import { every, type Logger, type RunningLoop } from '@msi/service-kit';

/** The leader's work found the lock no longer held by this instance: its transaction is rolled back. */
export class LeaderLockError extends CodedError<'LEADER_LOCK_LOST'> {
  override readonly name = 'LeaderLockError';
}

export interface LeaderLockOptions {
  readonly pool: Pool;
  /** The session advisory lock only the leader holds. */
  readonly key: number | bigint;
  readonly log: Logger;
  /** The lock was taken: start the leader's work. */
  readonly onAcquired: () => Promise<void>;
  /** The lock's session is gone: stop the leader's work (before the lock is tried for again). */
  readonly onLost: () => Promise<void>;
  /** How often a standby tries for the lock and the leader checks its session, ms (default 2000). */
  readonly checkMs?: number;
}

/**
 * Leadership by a Postgres session advisory lock, held on one dedicated connection: whoever holds it
 * does the leader's work; the others try every checkMs and take over when the holder's session ends.
 * The moment the holder's session ends (the connection's error event, a failed check of the session,
 * or a fence finding the lock gone) its work is stopped, then it tries for the lock again like a
 * standby. `fence` lets each transaction of the leader's work prove, inside that transaction, that
 * this instance's session still holds the lock, so no work commits without it.
 */
export class LeaderLock {
  readonly #o: LeaderLockOptions;
  #client: PoolClient | undefined;
  #pid: number | undefined;
  #losing: Promise<void> | undefined;
  #loop: RunningLoop | undefined;

  constructor(options: LeaderLockOptions) {
    this.#o = options;
  }

  /** True while this instance holds the lock. */
  get held(): boolean {
    return this.#client !== undefined;
  }

  /** Tries for the lock now and then every checkMs (resolves after the first try). */
  async start(): Promise<void> {
    let first: (() => void) | undefined;
    const tried = new Promise<void>((resolve) => {
      first = resolve;
    });
    this.#loop = every({
      intervalMs: this.#o.checkMs ?? 2000,
      run: async () => {
        try {
          await this.#check();
        } finally {
          first?.();
          first = undefined;
        }
      },
      onError: (error) => this.#o.log.warn('leader check failed', { error }),
    });
    await tried;
  }

  /**
   * Throws LeaderLockError unless this instance's session still holds the lock, asked inside `tx`
   * (a transaction of the leader's work, on another connection): a lock lost by a session that died
   * silently is found here before anything commits.
   */
  async fence(tx: Pick<PoolClient, 'query'>): Promise<void> {
    const pid = this.#pid;
    if (pid !== undefined && (await holdsAdvisoryLock(tx, pid, this.#o.key))) return;
    void this.#lose(new Error('the leader lock is no longer held by this instance'));
    throw new LeaderLockError('LEADER_LOCK_LOST', 'this instance no longer holds the leader lock');
  }

  /** Stops trying for the lock and checking the session (a try in progress completes first). */
  async stop(): Promise<void> {
    await this.#loop?.stop();
    await this.#losing;
  }

  /** Releases the lock if held; after stop(), once the leader's work has stopped. */
  async release(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    this.#pid = undefined;
    if (client === undefined) return;
    await client.query('SELECT pg_advisory_unlock($1::int8)', [this.#o.key]).catch(() => {});
    client.release();
  }

  async #check(): Promise<void> {
    await this.#losing;
    const client = this.#client;
    if (client === undefined) return this.#tryTake();
    try {
      await client.query('SELECT 1');
    } catch (error: unknown) {
      await this.#lose(error);
    }
  }

  async #tryTake(): Promise<void> {
    const client = await this.#o.pool.connect();
    let pid: number | undefined;
    try {
      if (await tryAdvisoryLock(client, this.#o.key)) {
        pid = toSafeInteger((await client.query('SELECT pg_backend_pid() AS pid')).rows[0]?.pid, 'pid');
      }
    } catch (error: unknown) {
      client.release(true);
      throw error;
    }
    if (pid === undefined) {
      client.release();
      return;
    }
    this.#client = client;
    this.#pid = pid;
    client.on('error', (error) => void this.#lose(error));
    this.#o.log.info('took the leader lock');
    try {
      await this.#o.onAcquired();
    } catch (error: unknown) {
      await this.#lose(error);
      throw error;
    }
  }

  /** The session is gone: forget it, stop the leader's work, then try for the lock again. */
  #lose(error: unknown): Promise<void> {
    const client = this.#client;
    if (client === undefined) return this.#losing ?? Promise.resolve();
    this.#client = undefined;
    this.#pid = undefined;
    this.#o.log.error('lost the leader session: stopping the stream work, then trying for the lock again', {
      error,
    });
    try {
      client.release(true);
    } catch {
      // already released by its error
    }
    this.#losing = this.#o.onLost().finally(() => {
      this.#losing = undefined;
      this.#loop?.wake();
    });
    return this.#losing;
  }
}
