import pg from 'pg';
import { isDatabaseUnavailable } from './database-unavailable.js';

/** What of node-postgres' connection a COPY FROM STDIN uses (its own methods, not in @types/pg). */
interface CopyConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}

/**
 * One `COPY … FROM STDIN` with its whole payload, as a node-postgres submittable: the client sends
 * the statement, and on Postgres' CopyInResponse the payload and CopyDone. It settles the way
 * node-postgres' own Query does: with the error on an ErrorResponse (or a lost connection), else
 * on ReadyForQuery with the row count of the CommandComplete (`COPY n`).
 */
class CopyFromStdin {
  /** Set here; node-postgres wraps it when a query timeout is configured. */
  callback: (error: Error | null, rows?: number) => void;
  #rows = 0;
  readonly #statement: string;
  readonly #payload: Buffer;

  constructor(statement: string, payload: Buffer, callback: (error: Error | null, rows?: number) => void) {
    this.#statement = statement;
    this.#payload = payload;
    this.callback = callback;
  }

  submit(connection: unknown): void {
    (connection as CopyConnection).query(this.#statement);
  }

  handleCopyInResponse(connection: unknown): void {
    const copy = connection as CopyConnection;
    copy.sendCopyFromChunk(this.#payload);
    copy.endCopyFrom();
  }

  handleCommandComplete(message: { text?: string }): void {
    this.#rows = Number(/^COPY (\d+)$/.exec(message.text ?? '')?.[1] ?? 0);
  }

  handleError(error: Error): void {
    this.callback(error);
  }

  handleReadyForQuery(): void {
    this.callback(null, this.#rows);
  }

  // Messages a COPY FROM STDIN does not get; node-postgres calls these on whatever query is active.
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyData(): void {}
}

/**
 * Runs `statement` (a `COPY table (columns) FROM STDIN …`) with `payload` as its data, in one
 * message; resolves with the rows copied. On a client it takes part in that client's transaction;
 * on a pool it takes a client for itself (discarded if the connection failed). Rejects with Postgres' error (a duplicate key, a field
 * that does not fit its column: the whole COPY is refused and the transaction is aborted).
 */
export async function copyIn(
  db: pg.Pool | pg.PoolClient,
  statement: string,
  payload: Buffer,
): Promise<number> {
  if (db instanceof pg.Pool) {
    const client = await db.connect();
    try {
      const rows = await copyIn(client, statement, payload);
      client.release();
      return rows;
    } catch (error: unknown) {
      // A connection that failed is discarded; one that refused the rows serves again.
      client.release(isDatabaseUnavailable(error));
      throw error;
    }
  }
  return new Promise<number>((resolve, reject) => {
    db.query(
      new CopyFromStdin(statement, payload, (error, rows) =>
        error === null ? resolve(rows ?? 0) : reject(error),
      ),
    );
  });
}
