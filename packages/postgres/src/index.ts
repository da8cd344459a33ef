export { isDatabaseUnavailable, waitForDatabase } from './database-unavailable.js';
export { type Migration, migrate } from './migrate.js';
export { createPool, inTransaction, type Pool, type PoolClient, type PoolOptions } from './pool.js';
