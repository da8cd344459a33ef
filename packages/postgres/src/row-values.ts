import type pg from 'pg';

/** A pool or a client checked out of one: anything that runs a query. */
export type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

/**
 * Checked decoders of row values: a column that does not hold what the code expects (a schema
 * changed underneath, a NULL where none may be, a number past 2^53) throws naming the column instead
 * of flowing on as NaN, a rounded number or a string posing as bytes.
 */
export class RowValueError extends Error {
  override readonly name = 'RowValueError';
}

/**
 * A bigint/integer column as a safe JS integer. Pools from @msi/postgres give bigint columns as
 * bigint; other pools give strings: both are accepted.
 */
export function toSafeInteger(value: unknown, column: string): number {
  const n = typeof value === 'bigint' ? Number(value) : typeof value === 'string' ? Number(value) : value;
  if (
    typeof n !== 'number' ||
    !Number.isSafeInteger(n) ||
    (typeof value === 'string' && value.trim() === '')
  ) {
    throw new RowValueError(`column ${column}: ${String(value)} is not a safe integer`);
  }
  return n;
}

/** Like toSafeInteger, with NULL as undefined. */
export function toOptionalSafeInteger(value: unknown, column: string): number | undefined {
  return value === null || value === undefined ? undefined : toSafeInteger(value, column);
}

/** A bytea column as a Uint8Array (pg gives Buffers). */
export function toBytes(value: unknown, column: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new RowValueError(`column ${column}: not bytes`);
  return new Uint8Array(value);
}

/** A bytea[] column as Uint8Arrays. */
export function toBytesList(value: unknown, column: string): Uint8Array[] {
  if (!Array.isArray(value)) throw new RowValueError(`column ${column}: not an array of bytes`);
  return value.map((item, i) => toBytes(item, `${column}[${i}]`));
}

/** A text column as a string. */
export function toText(value: unknown, column: string): string {
  if (typeof value !== 'string') throw new RowValueError(`column ${column}: ${String(value)} is not text`);
  return value;
}

/** Bytes as a query parameter (pg sends Buffers as bytea). */
export function param(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
