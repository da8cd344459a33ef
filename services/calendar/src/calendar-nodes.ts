import {
  consistencyNodes,
  fetchProof,
  inclusionNodes,
  type MerkleHasher,
  type NodeAddress,
  ProofError,
  portableHasher,
} from '@msi/merkle';
import { type Queryable, toBytes, toSafeInteger } from '@msi/postgres';
import { CalendarError } from './calendar-error.js';
import { calendarSize } from './calendar-queries.js';
import { SCHEMA } from './schema.js';

const defaultHasher = portableHasher();

/**
 * The hashes of stored (perfect) calendar nodes, in the order asked, with one query. Throws
 * NODE_MISSING when one is not stored.
 */
export async function fetchNodes(db: Queryable, nodes: readonly NodeAddress[]): Promise<Uint8Array[]> {
  if (nodes.length === 0) return [];
  const { rows } = await db.query(
    `SELECT n.level, n.idx, n.hash FROM ${SCHEMA}.calendar_nodes n
     JOIN unnest($1::smallint[], $2::bigint[]) AS a(level, idx) ON n.level = a.level AND n.idx = a.idx`,
    [nodes.map((n) => n.level), nodes.map((n) => n.index)],
  );
  const found = new Map<string, Uint8Array>();
  for (const row of rows) {
    found.set(
      `${toSafeInteger(row.level, 'level')}/${toSafeInteger(row.idx, 'idx')}`,
      toBytes(row.hash, 'hash'),
    );
  }
  return nodes.map(({ level, index }) => {
    const hash = found.get(`${level}/${index}`);
    if (hash === undefined)
      throw new CalendarError('NODE_MISSING', `calendar node (${level}, ${index}) is not stored`);
    return hash;
  });
}

/**
 * The RFC 9162 inclusion proof of round `index` (leaf index) in the calendar of `size` rounds, from the
 * stored nodes. Throws SIZE_OUT_OF_RANGE unless 0 <= index < size <= the calendar's size.
 * `hasher` folds the (at most one) node on the tree's right border.
 */
export async function calendarInclusionProof(
  db: Queryable,
  index: number,
  size: number,
  hasher: MerkleHasher = defaultHasher,
): Promise<Uint8Array[]> {
  await checkSize(db, size);
  const nodes = addressing(() => inclusionNodes(index, size));
  return fetchProof(hasher, nodes, size, (wanted) => fetchNodes(db, wanted));
}

/**
 * The RFC 9162 consistency proof from the calendar of `size1` rounds to the calendar of `size2`, from
 * the stored nodes. Throws SIZE_OUT_OF_RANGE unless 1 <= size1 <= size2 <= the calendar's size.
 */
export async function calendarConsistencyProof(
  db: Queryable,
  size1: number,
  size2: number,
  hasher: MerkleHasher = defaultHasher,
): Promise<Uint8Array[]> {
  await checkSize(db, size2);
  const nodes = addressing(() => consistencyNodes(size1, size2));
  return fetchProof(hasher, nodes, size2, (wanted) => fetchNodes(db, wanted));
}

async function checkSize(db: Queryable, size: number): Promise<void> {
  const have = await calendarSize(db);
  if (!Number.isSafeInteger(size) || size > have) {
    throw new CalendarError('SIZE_OUT_OF_RANGE', `the calendar has ${have} rounds, not ${size}`);
  }
}

function addressing(nodes: () => NodeAddress[]): NodeAddress[] {
  try {
    return nodes();
  } catch (error: unknown) {
    if (error instanceof ProofError)
      throw new CalendarError('SIZE_OUT_OF_RANGE', error.message, { cause: error });
    throw error;
  }
}
