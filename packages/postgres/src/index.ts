export {
  holdsAdvisoryLock,
  tryAdvisoryLock,
  tryWithAdvisoryLock,
  withAdvisoryLock,
} from './advisory-lock.js';
export { integerArray, PackedColumn, packedBytes, textDictionary } from './array-params.js';
export { BinaryCopyRows } from './binary-copy.js';
export { copyIn } from './copy-in.js';
export { isDatabaseUnavailable, waitForDatabase } from './database-unavailable.js';
export { type Migration, migrate } from './migrate.js';
export { createPool, inTransaction, type Pool, type PoolClient, type PoolOptions } from './pool.js';
export {
  param,
  type Queryable,
  RowValueError,
  toBytes,
  toBytesList,
  toOptionalSafeInteger,
  toSafeInteger,
  toText,
} from './row-values.js';
