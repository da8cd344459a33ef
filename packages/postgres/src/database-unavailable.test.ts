import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { isDatabaseUnavailable, waitForDatabase } from './database-unavailable.js';

function databaseError(code: string): pg.DatabaseError {
  const error = new pg.DatabaseError('server said so', 0, 'error');
  error.code = code;
  return error;
}

const socketError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code });

describe('isDatabaseUnavailable', () => {
  it.each([
    ['57P01 admin_shutdown (the server restarting)', databaseError('57P01')],
    ['57P03 cannot_connect_now (the server starting)', databaseError('57P03')],
    ['08006 connection_failure', databaseError('08006')],
    ['53300 too_many_connections', databaseError('53300')],
    ['ECONNREFUSED', socketError('ECONNREFUSED')],
    ['ECONNRESET', socketError('ECONNRESET')],
    ["pg's lost connection", new Error('Connection terminated unexpectedly')],
    ["pg-pool's checkout timeout", new Error('timeout exceeded when trying to connect')],
    ["pg's broken client", new Error('Client has encountered a connection error and is not queryable')],
    ['a wrapped cause', new Error('migration 1 failed', { cause: socketError('ECONNREFUSED') })],
    ['every address refused', new AggregateError([socketError('ECONNREFUSED'), socketError('ECONNREFUSED')])],
  ])('is true for %s', (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['22003 numeric_value_out_of_range (a bad parameter)', databaseError('22003')],
    ['42601 syntax_error (a bug)', databaseError('42601')],
    ['23505 unique_violation', databaseError('23505')],
    ['a TypeError', new TypeError('x is undefined')],
    ['a string', 'ECONNREFUSED'],
    ['undefined', undefined],
  ])('is false for %s', (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});

describe('waitForDatabase', () => {
  /** Answers its first `failures` queries with `error`, then succeeds. */
  const database = (failures: number, error: unknown) => {
    let calls = 0;
    return {
      calls: () => calls,
      query: async () => {
        calls += 1;
        if (calls <= failures) throw error;
        return { rows: [] };
      },
    };
  };

  it('waits while the database starts (57P03, refused connections), then resolves', async () => {
    const db = database(3, databaseError('57P03'));
    const waits: number[] = [];
    await waitForDatabase(db, { intervalMs: 1, onWait: (_, attempt) => waits.push(attempt) });
    expect(waits).toEqual([1, 2, 3]);
    expect(db.calls()).toBe(4);
  });

  it('throws at once what waiting does not cure (a wrong password)', async () => {
    const db = database(5, databaseError('28P01'));
    await expect(waitForDatabase(db, { intervalMs: 1 })).rejects.toMatchObject({ code: '28P01' });
    expect(db.calls()).toBe(1);
  });
});
