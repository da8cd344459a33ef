import { createPool, migrate, type Pool } from '@msi/postgres';
import { createFreshDatabase, testServerUrls } from '@msi/testkit';
import { MIGRATION_LOCK_KEY, MIGRATIONS, MIGRATIONS_TABLE, SCHEMA } from './schema.js';

/** A fresh database with the projection as its first migrations left it, for a later migration's test. */
export interface EarlierProjection {
  readonly pool: Pool;
  /** Ends the pool and drops the database. */
  close(): Promise<void>;
}

/** The projection as migration `id` left it (migrations 1 … id applied), in a new database named after `label`. */
export async function projectionAt(label: string, id: number): Promise<EarlierProjection> {
  const database = await createFreshDatabase(testServerUrls().databaseUrl, label);
  const pool = createPool({ connectionString: database.url });
  await pool.query(`CREATE SCHEMA IF NOT EXISTS ${SCHEMA}`);
  await migrate(
    pool,
    MIGRATIONS.filter((migration) => migration.id <= id),
    { table: MIGRATIONS_TABLE, lockKey: MIGRATION_LOCK_KEY },
  );
  return {
    pool,
    close: async () => {
      await pool.end();
      await database.drop();
    },
  };
}
