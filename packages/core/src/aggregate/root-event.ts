import type { Attribute, DataEvent } from '../event/index.js';
import type { Imprint } from '../imprint/index.js';
import { RootEventError } from './root-event-error.js';

/** Attribute keys of this prefix are reserved for the aggregate format in a root event. */
export const AGGREGATE_ATTRIBUTE_PREFIX = 'msi.aggregate.';
/** The attribute naming the aggregate format of a root event: the text `1` for format 1. */
export const AGGREGATE_FORMAT_KEY = 'msi.aggregate.format';
/** The attribute holding the local tree's leaf count, in decimal. */
export const AGGREGATE_LEAVES_KEY = 'msi.aggregate.leaves';
/** The aggregate format of docs/PROOFS.md §12. */
export const AGGREGATE_FORMAT = '1';

/** What a root event binds: the local tree's root and leaf count. */
export interface AggregateRoot {
  /** MTH of the local tree (32 bytes). */
  readonly root: Uint8Array;
  /** Its number of leaves, ≥ 1. */
  readonly leafCount: number;
}

/** The fields of a canonical event v1 that make it the root event of a local tree (docs/PROOFS.md §12). */
export interface RootEventFields {
  readonly kind: 'STORE';
  readonly data: Imprint;
  /** The two aggregate attributes, in key order. */
  readonly attributes: readonly Attribute[];
}

/**
 * The kind, data and attributes of the root event of a local tree with `root` over `leafCount`
 * leaves: a STORE whose data is the SHA-256 imprint of the root and whose attributes bind the leaf
 * count and the format. The client fills the other fields as for any event (ingest stamps the rest).
 */
export function rootEventFields(aggregate: AggregateRoot): RootEventFields {
  checkAggregate(aggregate);
  return {
    kind: 'STORE',
    data: { algorithm: 'sha256', digest: new Uint8Array(aggregate.root) },
    attributes: [
      { key: AGGREGATE_FORMAT_KEY, value: AGGREGATE_FORMAT },
      { key: AGGREGATE_LEAVES_KEY, value: String(aggregate.leafCount) },
    ],
  };
}

const LEAVES = /^[1-9][0-9]{0,15}$/;

/**
 * Reads the root and leaf count a root event binds (docs/PROOFS.md §12): kind STORE, a SHA-256 data
 * imprint (the root), exactly one `msi.aggregate.format` of `1`, exactly one `msi.aggregate.leaves`
 * of a decimal in [1, 2^53 − 1] without leading zeros, and no other `msi.aggregate.` attribute.
 * Other fields are the client's and not examined. `event` was decoded from hostile bytes; throws
 * RootEventError ROOT_EVENT_INVALID naming what is wrong.
 */
export function readRootEvent(event: DataEvent): AggregateRoot {
  if (event.kind !== 'STORE') fail(`kind is ${event.kind}, want STORE`);
  if (event.data.algorithm !== 'sha256') fail(`data is a ${event.data.algorithm} imprint, want sha256`);
  let format: string | undefined;
  let leaves: string | undefined;
  for (const { key, value } of event.attributes) {
    if (!key.startsWith(AGGREGATE_ATTRIBUTE_PREFIX)) continue;
    if (key === AGGREGATE_FORMAT_KEY) format = value;
    else if (key === AGGREGATE_LEAVES_KEY) leaves = value;
    else fail(`attribute ${key} is not one of format 1`);
  }
  if (format === undefined) fail(`attribute ${AGGREGATE_FORMAT_KEY} is missing: not a root event`);
  if (format !== AGGREGATE_FORMAT) fail(`aggregate format ${JSON.stringify(format.slice(0, 16))} is not 1`);
  if (leaves === undefined) fail(`attribute ${AGGREGATE_LEAVES_KEY} is missing`);
  const leafCount = LEAVES.test(leaves) ? Number(leaves) : Number.NaN;
  if (!Number.isSafeInteger(leafCount)) {
    fail(`${AGGREGATE_LEAVES_KEY} ${JSON.stringify(leaves.slice(0, 20))} is not a decimal in [1, 2^53 - 1]`);
  }
  return { root: event.data.digest, leafCount };
}

function checkAggregate({ root, leafCount }: AggregateRoot): void {
  if (root.length !== 32) throw new RangeError(`local root has ${root.length} bytes, want 32`);
  if (!Number.isSafeInteger(leafCount) || leafCount < 1) {
    throw new RangeError(`leaf count ${leafCount} is not an integer in [1, 2^53 - 1]`);
  }
}

function fail(message: string): never {
  throw new RootEventError('ROOT_EVENT_INVALID', `root event: ${message}`);
}
