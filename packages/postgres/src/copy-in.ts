import pg from 'pg';
import type { BinaryCopyRows } from './binary-copy.js';
import { isDatabaseUnavailable } from './database-unavailable.js';

/** What of node-postgres' connection a COPY FROM STDIN uses (not in @types/pg). */
interface CopyConnection {
  query(text: string): void;
  readonly stream: { readonly writable: boolean; write(bytes: Buffer): boolean };
}

/**
 * One `COPY … FROM STDIN` with its whole payload, as a node-postgres submittable: the client sends
 * the statement, and on Postgres' CopyInResponse the payload as one CopyData message and CopyDone,
 * framed by BinaryCopyRows in one buffer and written to the connection's socket as node-postgres'
 * own messages are (its copyData would copy the payload first). It settles the way node-postgres'
 * Query does: with the error on an ErrorResponse (or a lost connection), else on ReadyForQuery with
 * the row count of the CommandComplete (`COPY n`).
 */
class CopyFromStdin {
  /** Set here; node-postgres wraps it when a query timeout is configured. */
  callback: (error: Error | null, rows?: number) => void;
  #rows = 0;
  readonly #statement: string;
  readonly #messages: Buffer;

  constructor(statement: string, messages: Buffer, callback: (error: Error | null, rows?: number) => void) {
    this.#statement = statement;
    this.#messages = messages;
    this.callback = callback;
  }

  submit(connection: unknown): void {
    (connection as CopyConnection).query(this.#statement);
  }

  handleCopyInResponse(connection: unknown): void {
    const { stream } = connection as CopyConnection;
    // A stream that cannot be written is a lost connection: the client fails this query then.
    if (stream.writable) stream.write(this.#messages);
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
 * Runs `statement` (a `COPY table (columns) FROM STDIN (FORMAT binary)`) with `rows` as its data
 * (finished here), in one message; resolves with the rows copied. On a client it takes part in that
 * client's transaction; on a pool it takes a client for itself (discarded if the connection failed).
 * Rejects with Postgres' error (a duplicate key, a field that does not fit its column: the whole
 * COPY is refused and the transaction is aborted).
 */
export async function copyIn(
  db: pg.Pool | pg.PoolClient,
  statement: string,
  rows: BinaryCopyRows,
): Promise<number> {
  if (db instanceof pg.Pool) {
    const client = await db.connect();
    try {
      const copied = await copyIn(client, statement, rows);
      client.release();
      return copied;
    } catch (error: unknown) {
      // A connection that failed is discarded; one that refused the rows serves again.
      client.release(isDatabaseUnavailable(error));
      throw error;
    }
  }
  return new Promise<number>((resolve, reject) => {
    db.query(
      new CopyFromStdin(statement, rows.framed(), (error, copied) =>
        error === null ? resolve(copied ?? 0) : reject(error),
      ),
    );
  });
}
