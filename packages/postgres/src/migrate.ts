import type pg from 'pg';

/** One schema change. Ids are applied in ascending order, each exactly once, in its own transaction. */
export interface Migration {
  readonly id: number;
  readonly name: string;
  readonly sql: string;
}

/**
 * Applies pending migrations under an advisory lock, so several replicas starting at once apply each
 * migration exactly once. Records applied ids in `<table>`. Returns the ids it applied.
 */
export async function migrate(
  pool: pg.Pool,
  migrations: readonly Migration[],
  options: { table: string; lockKey: number },
): Promise<number[]> {
  assertOrdered(migrations);
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1::int8)', [options.lockKey]);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${options.table} (id integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const done = new Set(
      (await client.query<{ id: number }>(`SELECT id FROM ${options.table}`)).rows.map((row) => row.id),
    );
    const applied: number[] = [];
    for (const migration of migrations) {
      if (done.has(migration.id)) continue;
      await client.query('BEGIN');
      try {
        await client.query(migration.sql);
        await client.query(`INSERT INTO ${options.table} (id, name) VALUES ($1::int4, $2::text)`, [
          migration.id,
          migration.name,
        ]);
        await client.query('COMMIT');
      } catch (error: unknown) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${migration.id} (${migration.name}) failed: ${String(error)}`, {
          cause: error,
        });
      }
      applied.push(migration.id);
    }
    return applied;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1::int8)', [options.lockKey]).catch(() => {});
    client.release();
  }
}

function assertOrdered(migrations: readonly Migration[]): void {
  migrations.forEach((migration, i) => {
    const previous = migrations[i - 1];
    if (previous !== undefined && previous.id >= migration.id) {
      throw new Error(`migrations out of order: ${previous.id} before ${migration.id}`);
    }
  });
}
