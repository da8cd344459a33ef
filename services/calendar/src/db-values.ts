import type pg from 'pg';

/** A pool or a client checked out of one: anything that runs a query. */
export type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

/**
 * A bigint/integer column as a safe JS integer. Pools from @msi/postgres give bigint columns as
 * bigint; other pools give strings: both are accepted.
 */
export function toSafeInteger(value: unknown, column: string): number {
  const n = typeof value === 'bigint' ? Number(value) : typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) {
    throw new Error(`column ${column}: ${String(value)} is not a safe integer`);
  }
  return n;
}

/** A bytea column as a Uint8Array (pg gives Buffers). */
export function toBytes(value: unknown, column: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new Error(`column ${column}: not bytes`);
  return new Uint8Array(value);
}

/** Bytes as a query parameter (pg sends Buffers as bytea). */
export function param(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
