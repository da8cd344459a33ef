import { createPool, migrate, type Pool } from '@msi/postgres';
import { createFreshDatabase, testServerUrls } from '@msi/testkit';
import { afterAll, beforeAll } from 'vitest';
import { MIGRATION_LOCK_KEY, MIGRATIONS, MIGRATIONS_TABLE, SCHEMA } from './schema.js';

/** The database of a later migration's test, holding the projection as the earlier ones left it. */
export interface EarlierProjection {
  /** Its pool, from the suite's beforeAll on. */
  readonly pool: Pool;
}

/**
 * Registers the suite's beforeAll and afterAll: a new database named after `label` with the
 * projection as migration `id` left it (migrations 1 … id applied), ended and dropped after the suite.
 */
export function useProjectionAt(label: string, id: number): EarlierProjection {
  let pool: Pool | undefined;
  let drop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const database = await createFreshDatabase(testServerUrls().databaseUrl, label);
    drop = database.drop;
    pool = createPool({ connectionString: database.url });
    await pool.query(`CREATE SCHEMA IF NOT EXISTS ${SCHEMA}`);
    await migrate(
      pool,
      MIGRATIONS.filter((migration) => migration.id <= id),
      { table: MIGRATIONS_TABLE, lockKey: MIGRATION_LOCK_KEY },
    );
  });
  afterAll(async () => {
    await pool?.end();
    await drop?.();
  });
  return {
    get pool(): Pool {
      if (pool === undefined) throw new Error('the projection is made in beforeAll: use its pool in a test');
      return pool;
    },
  };
}
