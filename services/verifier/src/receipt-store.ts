import {
  assembleReceipt,
  CheckedAnchors,
  checkReceiptProofs,
  EVENT_KINDS,
  kindCode,
  type Receipt,
  ReceiptError,
  type ReceiptProof,
} from '@msi/core';
import {
  fetchProof,
  HASH_SIZE,
  inclusionNodes,
  type MerkleHasher,
  MerkleTree,
  type NodeAddress,
  nodesToFetch,
  ProofError,
} from '@msi/merkle';
import {
  isDatabaseUnavailable,
  type Pool,
  packedBytes,
  textDictionary,
  toBytes,
  toBytesList,
  toOptionalSafeInteger,
  toSafeInteger,
  toText,
} from '@msi/postgres';
import { asBuffer } from '@msi/wire';
import { ByteLru } from './byte-lru.js';
import { SCHEMA } from './schema.js';
import { SealedRowIndex, type SealedRowInput } from './sealed-row-index.js';
import { VerifierError } from './verifier-error.js';

/** An event row visible to a tenant: its own, or a TRANSFER to it. */
export interface EventRow {
  readonly streamSeq: number;
  readonly position: number;
  readonly tenant: string;
  readonly canonical: Uint8Array;
  readonly sealSeq: number | undefined;
  readonly leafIndex: number | undefined;
  /** Set when the row was read with its seal and round (findEvent): saves a query per receipt. */
  readonly anchor?: {
    readonly sealRecord: Uint8Array;
    readonly leafCount: number;
    readonly k: number;
    readonly position: number;
  };
}

/**
 * The verified checkpoints (alias `p`) with, for each, the cosigned note of its size when one is kept:
 * columns `size` and `note`. Append a WHERE / ORDER BY on `p.size`.
 */
export const CHECKPOINT_NOTES = `SELECT p.size, coalesce(c.note, p.note) AS note FROM ${SCHEMA}.checkpoints p
  LEFT JOIN ${SCHEMA}.cosigned_checkpoints c ON c.size = p.size`;

/** Whether the event row `e` is visible to tenant $2: its own, or a TRANSFER to it. */
export const VISIBLE = `(e.tenant = $2::text OR (e.kind = 1 AND e.to_tenant = $2::text))`;

/** An EventRow from a query's row (stream_seq, position, tenant, canonical, seal_seq, leaf_index; k …). */
export function eventRow(r: Record<string, unknown>): EventRow {
  const streamSeq = toSafeInteger(r.stream_seq, 'stream_seq');
  const position = toSafeInteger(r.position, 'position');
  const tenant = toText(r.tenant, 'tenant');
  const canonical = toBytes(r.canonical, 'canonical');
  const sealSeq = toOptionalSafeInteger(r.seal_seq, 'seal_seq');
  const leafIndex = toOptionalSafeInteger(r.leaf_index, 'leaf_index');
  if (r.k === null || r.k === undefined)
    return { streamSeq, position, tenant, canonical, sealSeq, leafIndex };
  // Literals, not `{ ...anchor, streamSeq, … }`: on Node 20 a property after a spread costs ~1.5 µs.
  const anchor = {
    sealRecord: toBytes(r.seal_record, 'seal_record'),
    leafCount: toSafeInteger(r.leaf_count, 'leaf_count'),
    k: toSafeInteger(r.k, 'k'),
    position: toSafeInteger(r.seal_position, 'seal_position'),
  };
  return { streamSeq, position, tenant, canonical, sealSeq, leafIndex, anchor };
}

// Request i (1-based) is the id at bytes [16(i−1), 16i) of $1 (packed: one binary parameter, no
// hex array text) and the tenant ($2::text[])[($3::int4[])[i]] (each distinct tenant sent once). Each
// is one lookup through the index on event_id (a LATERAL with LIMIT is never planned as a join over
// every event row, whatever the statistics), the caller's own row first, then the earliest anchored.
const FIND_EVENTS = `SELECT q.i, e.stream_seq, e.position, e.tenant, e.canonical, e.seal_seq, e.leaf_index
   FROM (SELECT g.i, substring($1::bytea FROM (g.i - 1) * 16 + 1 FOR 16) AS id,
           ($2::text[])[($3::int4[])[g.i]] AS tenant
         FROM generate_series(1, length($1::bytea) / 16) AS g(i)) q
   CROSS JOIN LATERAL (SELECT * FROM ${SCHEMA}.sealed_events e
     WHERE e.event_id = q.id AND (e.tenant = q.tenant OR (e.kind = 1 AND e.to_tenant = q.tenant))
     ORDER BY (e.tenant = q.tenant) DESC, (e.seal_seq IS NULL), e.stream_seq, e.position LIMIT 1) e`;

/**
 * The visible events with the given ids, one entry per request (the caller's own first, then the
 * earliest anchored copy; undefined when none is visible), in one round trip. An id that is not 16
 * bytes is no event's: it is answered undefined without being sent.
 */
export async function findEvents(
  db: Pool,
  requests: readonly { readonly eventId: Uint8Array; readonly tenant: string }[],
): Promise<(EventRow | undefined)[]> {
  const found: (EventRow | undefined)[] = requests.map(() => undefined);
  const asked = [...requests.keys()].filter((i) => requests[i]?.eventId.length === 16);
  if (asked.length === 0) return found;
  const tenants = textDictionary(asked.map((i) => requests[i]?.tenant ?? ''));
  const { rows } = await db.query({
    name: 'verifier_find_events_v2',
    text: FIND_EVENTS,
    values: [
      packedBytes(
        asked.map((i) => requests[i]?.eventId ?? new Uint8Array(16)),
        16,
      ),
      tenants.values,
      tenants.index,
    ],
  });
  for (const row of rows) found[asked[toSafeInteger(row.i, 'i') - 1] ?? -1] = eventRow(row);
  return found;
}

/** The visible event with `eventId` (the caller's own first, then the earliest anchored copy). */
export async function findEvent(
  db: Pool,
  eventId: Uint8Array,
  tenant: string,
): Promise<EventRow | undefined> {
  return (await findEvents(db, [{ eventId, tenant }]))[0];
}

/**
 * Finds the visible event of an id for GetReceipt. An anchored row kept in the cache (the hot index)
 * answers at once; otherwise concurrent lookups are coalesced: while `maxInFlight` queries run, new
 * requests queue and go out together as one findEvents query (at most `maxBatch` ids), so under load
 * a receipt costs a share of one round trip, and a lone request goes out at once. Anchored rows found
 * are kept in the cache.
 */
export class EventFinder {
  readonly #db: Pool;
  readonly #cache: ReceiptCache | undefined;
  readonly #maxInFlight: number;
  readonly #maxBatch: number;
  #inFlight = 0;
  #queue: {
    eventId: Uint8Array;
    tenant: string;
    resolve: (row: EventRow | undefined) => void;
    reject: (error: unknown) => void;
  }[] = [];

  constructor(db: Pool, options: { cache?: ReceiptCache; maxInFlight?: number; maxBatch?: number } = {}) {
    this.#db = db;
    this.#cache = options.cache;
    this.#maxInFlight = options.maxInFlight ?? 4;
    this.#maxBatch = options.maxBatch ?? 256;
  }

  find(eventId: Uint8Array, tenant: string): Promise<EventRow | undefined> {
    const kept = this.#cache?.event(eventId, tenant);
    if (kept !== undefined) return Promise.resolve(kept);
    return new Promise((resolve, reject) => {
      this.#queue.push({ eventId, tenant, resolve, reject });
      this.#flush();
    });
  }

  #flush(): void {
    while (this.#inFlight < this.#maxInFlight && this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#maxBatch);
      this.#inFlight++;
      findEvents(this.#db, batch)
        .then(
          (rows) => {
            for (const [i, request] of batch.entries()) {
              const row = rows[i];
              if (row !== undefined) this.#cache?.rememberEvent(request.eventId, request.tenant, row);
              request.resolve(row);
            }
          },
          (error: unknown) => {
            for (const request of batch) request.reject(error);
          },
        )
        .finally(() => {
          this.#inFlight--;
          this.#flush();
        });
    }
  }
}

/**
 * The receipt of a stored event, from its seal's tree (rebuilt from the stored leaves), the round's
 * seals and the calendar nodes, against the newest checkpoint with cosignatures when it covers the
 * event's round (with its cosigned note), else the newest verified checkpoint. Checks the assembled
 * proofs (steps 2–5 of docs/PROOFS.md §8) before returning: a row changed in storage makes it
 * TAMPERED, never a bad receipt.
 */
export async function receiptOf(
  db: Pool,
  hasher: MerkleHasher,
  event: EventRow,
  cache: ReceiptCache = new ReceiptCache(),
): Promise<Receipt> {
  if (event.sealSeq === undefined || event.leafIndex === undefined) {
    throw new VerifierError('NOT_ANCHORED', 'the event is not in a verified seal yet');
  }
  const sealSeq = event.sealSeq;
  const seal = event.anchor ?? (await cache.anchor(db, sealSeq));
  if (seal === undefined) throw new VerifierError('NOT_ANCHORED', 'the seal is not anchored yet');
  const { leafCount, k } = seal;
  const latest = await cache.latestCheckpoint(db);
  const checkpoint = latest?.cosigned !== undefined && latest.cosigned.size > k ? latest.cosigned : latest;
  if (checkpoint === undefined || checkpoint.size <= k) {
    throw new VerifierError('NOT_ANCHORED', 'no verified checkpoint covers the round yet');
  }
  const size = checkpoint.size;
  const sealTree = await cache.sealTree(db, hasher, sealSeq);
  if (sealTree === undefined) throw new VerifierError('TAMPERED', `seal ${sealSeq}: its tree is not stored`);
  const eventHashes = inclusionProofIn(sealTree, sealSeq, event.leafIndex);
  const above = await cache.sealAnchorProofs(db, hasher, sealSeq, seal, size);
  if (above === undefined) throw new VerifierError('NOT_ANCHORED', 'the round is not stored');
  const receipt = assembleReceipt({
    event: event.canonical,
    eventProof: { leafIndex: event.leafIndex, treeSize: leafCount, hashes: eventHashes },
    seal: above.seal,
    sealProof: above.sealProof,
    round: above.round,
    roundProof: above.roundProof,
    checkpoint: checkpoint.note,
  });
  try {
    // The event step against the seal's tree (a leaf hash, no hash per level): checkReceiptProofs
    // checks the tree's size and root against the seal record, whose own steps CheckedAnchors keeps.
    checkReceiptProofs(receipt, hasher, cache.anchors, sealTree);
  } catch (error: unknown) {
    if (error instanceof ReceiptError) {
      throw new VerifierError(
        'TAMPERED',
        `stored rows do not prove the event (${error.code}): ${error.message}`,
      );
    }
    throw error;
  }
  return receipt;
}

/** Where each verified seal of `sealSeqs` is anchored (its first verified round), by seal sequence. */
async function anchorsOf(db: Pool, sealSeqs: readonly number[]): Promise<Map<number, Anchor>> {
  const { rows } = await db.query({
    name: 'verifier_anchors',
    text: `SELECT DISTINCT ON (s.stream_seq) s.stream_seq, s.record, s.leaf_count, rs.k, rs.position
     FROM ${SCHEMA}.seals s
     JOIN ${SCHEMA}.round_seals rs ON rs.seal_seq = s.stream_seq
     JOIN ${SCHEMA}.rounds r ON r.k = rs.k AND r.verified
     WHERE s.stream_seq = ANY($1::int8[]) AND s.verified ORDER BY s.stream_seq, rs.k`,
    values: [sealSeqs],
  });
  return new Map(
    rows.map((row) => [
      toSafeInteger(row.stream_seq, 'stream_seq'),
      {
        sealRecord: toBytes(row.record, 'record'),
        leafCount: toSafeInteger(row.leaf_count, 'leaf_count'),
        k: toSafeInteger(row.k, 'k'),
        position: toSafeInteger(row.position, 'position'),
      },
    ]),
  );
}

/**
 * The inclusion proof of leaf `leafIndex` in a seal's stored tree, its hashes views of one Buffer (what
 * the protobuf form wants: no view made per hash when it is sent); TAMPERED when it has no such leaf.
 */
function inclusionProofIn(tree: MerkleTree, sealSeq: number, leafIndex: number): Uint8Array[] {
  try {
    return tree.inclusionProof(leafIndex, Buffer.allocUnsafe);
  } catch (error: unknown) {
    if (error instanceof ProofError)
      throw new VerifierError('TAMPERED', `seal ${sealSeq}: its stored tree has no leaf ${leafIndex}`);
    throw error;
  }
}

/**
 * The tree of each seal of `sealSeqs` rebuilt from its stored leaf level (level 0 of seal_levels: the
 * upper levels follow from it), none for a seal without one. Whether it is the seal's tree (leaf count
 * and root) is checked with each receipt (checkReceiptProofs); leaves that are not whole hashes make
 * the seal TAMPERED here.
 */
async function sealTreesOf(
  db: Pool,
  hasher: MerkleHasher,
  sealSeqs: readonly number[],
): Promise<Map<number, MerkleTree>> {
  const { rows } = await db.query({
    name: 'verifier_seal_leaves',
    text: `SELECT seal_seq, hashes FROM ${SCHEMA}.seal_levels WHERE seal_seq = ANY($1::int8[]) AND level = 0`,
    values: [sealSeqs],
  });
  const trees = new Map<number, MerkleTree>();
  for (const row of rows) {
    const seq = toSafeInteger(row.seal_seq, 'seal_seq');
    const leaves = toBytes(row.hashes, 'hashes');
    if (leaves.length === 0 || leaves.length % HASH_SIZE !== 0)
      throw new VerifierError('TAMPERED', `seal ${seq}: its stored leaves are ${leaves.length} bytes`);
    trees.set(seq, MerkleTree.fromLeafHashes(hasher, leaves, leaves.length / HASH_SIZE));
  }
  return trees;
}

/** Stored calendar nodes (perfect subtrees) in the order asked. */
export async function fetchCalendarNodes(db: Pool, nodes: readonly NodeAddress[]): Promise<Uint8Array[]> {
  if (nodes.length === 0) return [];
  const { rows } = await db.query(
    `SELECT a.i, n.hash FROM unnest($1::smallint[], $2::bigint[]) WITH ORDINALITY AS a(level, idx, i)
     LEFT JOIN ${SCHEMA}.calendar_nodes n ON n.level = a.level AND n.idx = a.idx ORDER BY a.i`,
    [nodes.map((n) => n.level), nodes.map((n) => n.index)],
  );
  return rows.map((r) => {
    if (r.hash === null) throw new VerifierError('OUT_OF_RANGE', 'a calendar node is not stored');
    return toBytes(r.hash, 'hash');
  });
}

/** One event of a history page. */
export interface HistoryRow {
  readonly event: EventRow;
  readonly role: string;
  readonly receivedAt: number;
}

/** Where a keyset page of oldest-first events starts: after this entry (exclusive). */
export interface OldestFirstCursor {
  readonly receivedAt: number;
  readonly streamSeq: number;
  readonly position: number;
}

/** The kinds' codes, one ordered scan of the imprint's index (data, kind, received_at, …) each. */
const KIND_CODES = EVENT_KINDS.map(kindCode);

// One branch per way an event names the imprint: as data (on the event row, index events_data; one
// branch per kind) and as input or output (event_imprints, whose key orders it). Each reads its index
// in the page's order from after the cursor ($5, $6, $7), keeps the visible rows and stops at $8, so
// a page costs its own rows, whatever the imprint's history holds (an input or output row's event is
// looked up by its key, in a LATERAL that OFFSET 0 keeps from being flattened into a join the planner
// may run by hash over all the imprint's rows). An event in the page's first $8 is in the first $8
// of every branch that names it, so grouping the branches gives each its roles.
const HISTORY_BOUNDS = (t: string) => `$3::int8 <= ${t}.received_at_us AND ${t}.received_at_us < $4::int8
       AND (${t}.received_at_us, ${t}.stream_seq, ${t}.position) > ($5::int8, $6::int8, $7::int4)
     ORDER BY ${t}.received_at_us, ${t}.stream_seq, ${t}.position LIMIT $8::int8`;
const HISTORY_AS_DATA = KIND_CODES.map(
  (kind) => `(SELECT e.received_at_us, e.stream_seq, e.position, 'data' AS role FROM ${SCHEMA}.events e
     WHERE e.data = $1::bytea AND e.kind = ${kind} AND ${VISIBLE} AND ${HISTORY_BOUNDS('e')})`,
);
const HISTORY_AS_INPUT_OR_OUTPUT = ['input', 'output'].map(
  (role) => `(SELECT i.received_at_us, i.stream_seq, i.position, i.role FROM ${SCHEMA}.event_imprints i
     CROSS JOIN LATERAL (SELECT 1 FROM ${SCHEMA}.events e
       WHERE e.stream_seq = i.stream_seq AND e.position = i.position AND ${VISIBLE} OFFSET 0) e
     WHERE i.imprint = $1::bytea AND i.role = '${role}' AND ${HISTORY_BOUNDS('i')})`,
);
const HISTORY = `SELECT e.stream_seq, e.position, e.tenant, e.canonical, e.seal_seq, e.leaf_index, e.received_at_us, p.role
   FROM (SELECT b.received_at_us, b.stream_seq, b.position, string_agg(b.role, ',' ORDER BY b.role) AS role
         FROM (${[...HISTORY_AS_DATA, ...HISTORY_AS_INPUT_OR_OUTPUT].join('\n       UNION ALL ')}) b
         GROUP BY b.received_at_us, b.stream_seq, b.position
         ORDER BY b.received_at_us, b.stream_seq, b.position OFFSET $9::int8 LIMIT $10::int8) p
   JOIN ${SCHEMA}.sealed_events e ON e.stream_seq = p.stream_seq AND e.position = p.position
   ORDER BY e.received_at_us, e.stream_seq, e.position`;

/**
 * The visible events naming `imprint` as data, input or output, oldest first (received_at, stream
 * position), after `after` when given, at most `limit`, received in [fromUs, toUs) (0 = unbounded);
 * `role` joins the roles ("data,input" when both). `offset` skips that many more: it serves the
 * offset page tokens that verifiers before migration 10 gave out, at the cost of reading those rows.
 */
export async function historyOf(
  db: Pool,
  imprint: Uint8Array,
  tenant: string,
  range: {
    fromUs: number;
    toUs: number;
    after: OldestFirstCursor | undefined;
    offset: number;
    limit: number;
  },
): Promise<HistoryRow[]> {
  const { rows } = await db.query({
    name: 'verifier_history_v2',
    text: HISTORY,
    values: [
      Buffer.from(imprint),
      tenant,
      range.fromUs,
      range.toUs === 0 ? INT8_MAX : range.toUs,
      range.after?.receivedAt ?? -1,
      range.after?.streamSeq ?? -1,
      range.after?.position ?? -1,
      range.offset + range.limit,
      range.offset,
      range.limit,
    ],
  });
  return rows.map((r) => ({
    event: eventRow(r),
    role: String(r.role),
    receivedAt: toSafeInteger(r.received_at_us, 'received_at_us'),
  }));
}

/** Upper bounds that every stored value is below: "no bound" in keyset and range conditions. */
export const INT8_MAX = '9223372036854775807';
export const INT4_MAX = 2_147_483_647;

/** Where a keyset page of newest-first events starts: after this entry (exclusive). */
export interface NewestFirstCursor {
  readonly receivedAt: number;
  readonly streamSeq: number;
  readonly position: number;
}

/**
 * The visible events whose actor or submitter is `name` (columns actor and submitter of the event
 * rows, each indexed with received_at and stream position), newest first (received_at, stream
 * position, descending), after `after` when given, at most `limit`, received in [fromUs, toUs)
 * (0 = unbounded). `role` joins the roles ("actor,submitter" when both).
 */
export async function actorEventsOf(
  db: Pool,
  name: string,
  tenant: string,
  range: { fromUs: number; toUs: number; after: NewestFirstCursor | undefined; limit: number },
): Promise<HistoryRow[]> {
  const after = range.after;
  // Each event once: from the actor index, or from the submitter index when the name is not its
  // actor. Each branch reads its index newest first with plain bounds and stops at the page's size,
  // so a page costs its rows, whatever the name's history holds; the page is the newest of the two.
  const bounds = `${VISIBLE} AND e.received_at_us >= $3::int8 AND e.received_at_us < $4::int8
       AND (e.received_at_us, e.stream_seq, e.position) < ($5::int8, $6::int8, $7::int4)
     ORDER BY e.received_at_us DESC, e.stream_seq DESC, e.position DESC LIMIT $8::int4`;
  const columns =
    'e.stream_seq, e.position, e.tenant, e.canonical, e.seal_seq, e.leaf_index, e.received_at_us';
  const { rows } = await db.query({
    name: 'verifier_actor_events_v2',
    text: `SELECT * FROM (
       (SELECT ${columns}, CASE WHEN e.submitter = $1::text THEN 'actor,submitter' ELSE 'actor' END AS role
        FROM ${SCHEMA}.sealed_events e WHERE e.actor = $1::text AND ${bounds})
       UNION ALL
       (SELECT ${columns}, 'submitter' AS role
        FROM ${SCHEMA}.sealed_events e WHERE e.submitter = $1::text AND e.actor IS DISTINCT FROM $1::text
          AND ${bounds})
     ) t ORDER BY t.received_at_us DESC, t.stream_seq DESC, t.position DESC LIMIT $8::int4`,
    values: [
      name,
      tenant,
      range.fromUs,
      range.toUs === 0 ? INT8_MAX : range.toUs,
      after?.receivedAt ?? INT8_MAX,
      after?.streamSeq ?? INT8_MAX,
      after?.position ?? INT4_MAX,
      range.limit,
    ],
  });
  return rows.map((r) => ({
    event: eventRow(r),
    role: String(r.role),
    receivedAt: toSafeInteger(r.received_at_us, 'received_at_us'),
  }));
}

/** The newest verified checkpoint and, when there is one, the newest cosigned checkpoint note. */
export interface LatestCheckpoint {
  readonly size: number;
  readonly note: string;
  readonly cosigned?: { readonly size: number; readonly note: string };
}

interface CachedRound {
  readonly record: Uint8Array;
  readonly sealCount: number;
  readonly tree: MerkleTree;
}

type Anchor = NonNullable<EventRow['anchor']>;

/** The parts of a receipt above its event that every event of one seal shares against one checkpoint size. */
interface SealAnchorProofs {
  readonly seal: Uint8Array;
  readonly round: Uint8Array;
  readonly sealProof: ReceiptProof;
  readonly roundProof: ReceiptProof;
}
type Cached = EventRow | Anchor | Uint8Array[] | CachedRound | MerkleTree | SealAnchorProofs;

/** `hashes` copied into one Buffer, as views of it. */
function packedViews(hashes: readonly Uint8Array[]): Uint8Array[] {
  const block = Buffer.allocUnsafe(hashes.reduce((sum, hash) => sum + hash.length, 0));
  let at = 0;
  return hashes.map((hash) => {
    block.set(hash, at);
    at += hash.length;
    return block.subarray(at - hash.length, at);
  });
}

const frozenProof = (leafIndex: number, treeSize: number, hashes: Uint8Array[]): ReceiptProof =>
  Object.freeze({ leafIndex, treeSize, hashes: Object.freeze(hashes) });

/** The receipt cache's default byte budget: 128 MiB (MSI_VERIFIER_RECEIPT_CACHE_MIB). */
export const DEFAULT_RECEIPT_CACHE_BYTES = 128 * 1024 * 1024;
const CHECKPOINT_TTL_MS = 100;
/** What a kept entry costs beyond its bytes (map entry, objects, key), an estimate. */
const ENTRY_OVERHEAD = 160;

const hashesBytes = (hashes: readonly Uint8Array[]): number =>
  hashes.reduce((sum, h) => sum + (h?.length ?? 0) + 48, ENTRY_OVERHEAD);
const rowBytes = (row: EventRow): number =>
  row.canonical.length + row.tenant.length * 2 + ENTRY_OVERHEAD + 96;
/** A tree's levels hold about twice its leaves' bytes. */
const treeBytes = (t: Cached): number => (t as MerkleTree).size * 2 * HASH_SIZE + ENTRY_OVERHEAD;
const anchorBytes = (a: Cached): number => (a as Anchor).sealRecord.length + ENTRY_OVERHEAD;
const roundBytes = (r: Cached): number =>
  (r as CachedRound).record.length + (r as CachedRound).sealCount * 2 * 80 + ENTRY_OVERHEAD;
const isAnchored = (row: EventRow): boolean => row.sealSeq !== undefined && row.leafIndex !== undefined;

/**
 * What receipts share, read from storage once and kept within one byte budget (least recently used
 * dropped): anchored event rows by (tenant, id) — the hot index GetReceipt looks in before the
 * database —, where each seal is anchored, each seal's tree (rebuilt from its stored leaves), stored
 * rounds with their seal trees, and calendar inclusion proofs per (round, size). Everything kept is
 * proof material that no longer changes once written: an event row once it is in a verified seal, a
 * verified seal of a verified round, a stored round, calendar nodes of a size reached. Nothing is
 * ever invalidated, and every receipt assembled from it is still checked (checkReceiptProofs: the
 * event against its seal's tree, whose size and root must be the seal record's, and the seal → round
 * → checkpoint steps once per exact bytes) before it is served. The newest checkpoint is re-read
 * after 100 ms.
 */
export class ReceiptCache {
  /**
   * The seal → round → checkpoint steps already checked, by their exact bytes: every receipt is
   * still checked in full, but those steps once per (seal, checkpoint) (core's CheckedAnchors).
   */
  readonly anchors = new CheckedAnchors(4096);
  readonly #kept: ByteLru<Cached>;
  readonly #sealed: SealedRowIndex;
  #checkpoint: (LatestCheckpoint & { at: number }) | undefined;
  /** The read of the newest checkpoint in flight: concurrent callers share it. */
  #checkpointRead: Promise<LatestCheckpoint | undefined> | undefined;

  /**
   * `bytes`: the budget of everything kept (default 128 MiB; 0 keeps nothing): half for the rows
   * the projection just sealed (the hot index, SealedRowIndex), half for the rest.
   */
  constructor(options: { readonly bytes?: number } = {}) {
    const budget = options.bytes ?? DEFAULT_RECEIPT_CACHE_BYTES;
    this.#sealed = new SealedRowIndex(Math.floor(budget / 2));
    this.#kept = new ByteLru(budget - Math.floor(budget / 2));
  }

  /** The bytes kept now (about the budget at most). */
  get bytes(): number {
    return this.#kept.bytes + this.#sealed.bytes;
  }

  /**
   * The anchored event row `tenant` sees under `eventId`, when kept: a row asked for before, else one
   * of the hot index, which is then kept as asked for (with its own bytes) and outlives the index's
   * oldest rows while it is asked for.
   */
  event(eventId: Uint8Array, tenant: string): EventRow | undefined {
    const key = eventKey(eventId, tenant);
    const row = this.#kept.get(key) as EventRow | undefined;
    if (row !== undefined) return row;
    const sealed = this.#sealed.find(eventId, tenant);
    if (sealed !== undefined) this.#kept.set(key, sealed, rowBytes(sealed));
    return sealed;
  }

  /** Keeps a row `tenant` sees under `eventId` once it is anchored (in a verified seal): it no longer changes. */
  rememberEvent(eventId: Uint8Array, tenant: string, row: EventRow): void {
    if (isAnchored(row)) this.#kept.set(eventKey(eventId, tenant), row, rowBytes(row));
  }

  /**
   * Feeds the hot index with rows the projection just sealed, for their own tenant (what findEvents
   * prefers: the tenant's own anchored copy, the earliest on the stream; a copy already kept that is
   * earlier stays).
   */
  rememberSealed(events: readonly SealedRowInput[]): void {
    this.#sealed.add(events.filter(({ row }) => isAnchored(row)));
  }

  /** Where a seal is anchored (its record, leaf count, round and position in it). */
  async anchor(db: Pool, sealSeq: number): Promise<EventRow['anchor']> {
    return (await this.#kept.load(
      `a:${sealSeq}`,
      async () => (await anchorsOf(db, [sealSeq])).get(sealSeq),
      anchorBytes,
    )) as Anchor | undefined;
  }

  /**
   * Reads into the cache what the receipts of `rows` need and it lacks, one query per kind for them
   * all: where their seals are anchored, the seals' tree levels, their rounds, and the calendar nodes
   * of the rounds' inclusion proofs against the checkpoint receiptOf picks. receiptOf then assembles
   * each receipt from memory: a page of GetHistory or SearchByActor (up to 1,000 events over as many
   * seals and rounds) costs four queries, not four per seal and round. What the cache cannot keep
   * (its budget) is read again by receiptOf, one at a time, as without this.
   */
  async prefetch(db: Pool, hasher: MerkleHasher, rows: readonly EventRow[]): Promise<void> {
    const missing = (prefix: string, ids: Iterable<number>) =>
      [...new Set(ids)].filter((id) => this.#kept.get(`${prefix}:${id}`) === undefined);
    const unanchored = missing(
      'a',
      rows.flatMap((r) =>
        r.anchor === undefined && r.sealSeq !== undefined && isAnchored(r) ? [r.sealSeq] : [],
      ),
    );
    if (unanchored.length > 0)
      for (const [seq, anchor] of await anchorsOf(db, unanchored))
        this.#kept.set(`a:${seq}`, anchor, anchorBytes(anchor));
    const anchors = new Map<number, Anchor>();
    for (const r of rows) {
      const anchor =
        r.anchor ??
        (r.sealSeq === undefined ? undefined : (this.#kept.get(`a:${r.sealSeq}`) as Anchor | undefined));
      if (anchor !== undefined && r.sealSeq !== undefined) anchors.set(r.sealSeq, anchor);
    }
    const treeless = missing('t', anchors.keys());
    if (treeless.length > 0)
      for (const [seq, tree] of await sealTreesOf(db, hasher, treeless))
        this.#kept.set(`t:${seq}`, tree, treeBytes(tree));
    const ks = [...new Set([...anchors.values()].map((a) => a.k))];
    const roundless = missing('r', ks);
    if (roundless.length > 0)
      for (const [k, round] of await roundsOf(db, hasher, roundless))
        this.#kept.set(`r:${k}`, round, roundBytes(round));
    const latest = await this.latestCheckpoint(db);
    if (latest === undefined) return;
    const nodes = new Map<string, NodeAddress>();
    for (const k of ks) {
      const size =
        latest.cosigned !== undefined && latest.cosigned.size > k ? latest.cosigned.size : latest.size;
      if (size <= k || this.#kept.get(`p:${k}/${size}`) !== undefined) continue;
      for (const n of nodesToFetch(inclusionNodes(k, size), size)) nodes.set(`${n.level}/${n.index}`, n);
    }
    if (nodes.size > 0) await this.#calendarNodes(db, [...nodes.values()]);
  }

  /** A seal's tree, rebuilt from its stored leaves once (undefined when none are stored). */
  async sealTree(db: Pool, hasher: MerkleHasher, sealSeq: number): Promise<MerkleTree | undefined> {
    return (await this.#kept.load(
      `t:${sealSeq}`,
      async () => (await sealTreesOf(db, hasher, [sealSeq])).get(sealSeq),
      treeBytes,
    )) as MerkleTree | undefined;
  }

  /** The newest verified checkpoint and the newest cosigned one (re-read after 100 ms, once for all callers). */
  async latestCheckpoint(db: Pool): Promise<LatestCheckpoint | undefined> {
    const now = Date.now();
    if (this.#checkpoint !== undefined && now - this.#checkpoint.at < CHECKPOINT_TTL_MS)
      return this.#checkpoint;
    this.#checkpointRead ??= this.#readCheckpoint(db, now).finally(() => {
      this.#checkpointRead = undefined;
    });
    return this.#checkpointRead;
  }

  async #readCheckpoint(db: Pool, now: number): Promise<LatestCheckpoint | undefined> {
    let rows: Record<string, unknown>[];
    try {
      ({ rows } = await db.query({
        name: 'verifier_latest_checkpoint',
        text: `SELECT p.size, p.note, c.size AS cosigned_size, c.note AS cosigned_note
       FROM (SELECT size, note FROM ${SCHEMA}.checkpoints ORDER BY size DESC LIMIT 1) p
       LEFT JOIN LATERAL (SELECT size, note FROM ${SCHEMA}.cosigned_checkpoints ORDER BY size DESC LIMIT 1) c
         ON true`,
      }));
    } catch (error: unknown) {
      // While the database is down, the newest checkpoint read before still proves what it proved:
      // receipts whose material is kept are served against it (and the next call reads again).
      if (isDatabaseUnavailable(error) && this.#checkpoint !== undefined) return this.#checkpoint;
      throw error;
    }
    const row = rows[0];
    const cosigned =
      row?.cosigned_size === null || row?.cosigned_size === undefined
        ? {}
        : {
            cosigned: {
              size: toSafeInteger(row.cosigned_size, 'cosigned_size'),
              note: toText(row.cosigned_note, 'cosigned_note'),
            },
          };
    this.#checkpoint =
      row === undefined
        ? undefined
        : { size: toSafeInteger(row.size, 'size'), note: toText(row.note, 'note'), ...cosigned, at: now };
    return this.#checkpoint;
  }

  /**
   * What every receipt of a seal against the checkpoint of `size` rounds shares above its event: the
   * seal and round records, the seal's proof in its round and the round's proof in the calendar of
   * `size`, made once per (seal, where it is anchored, size) and kept: frozen, records and hashes as
   * Buffers, which the protobuf form sends without a view made per hash. Undefined when the round is
   * not stored.
   */
  async sealAnchorProofs(
    db: Pool,
    hasher: MerkleHasher,
    sealSeq: number,
    anchor: Anchor,
    size: number,
  ): Promise<SealAnchorProofs | undefined> {
    const key = `q:${sealSeq}/${anchor.k}/${anchor.position}/${size}`;
    const kept = this.#kept.get(key) as SealAnchorProofs | undefined;
    if (kept !== undefined) return kept;
    const round = await this.round(db, hasher, anchor.k);
    if (round === undefined) return undefined;
    const roundHashes = await this.calendarProof(db, hasher, anchor.k, size);
    const proofs: SealAnchorProofs = Object.freeze({
      seal: asBuffer(anchor.sealRecord),
      round: asBuffer(round.record),
      sealProof: frozenProof(
        anchor.position,
        round.sealCount,
        round.tree.inclusionProof(anchor.position, Buffer.allocUnsafe),
      ),
      roundProof: frozenProof(anchor.k, size, packedViews(roundHashes)),
    });
    this.#kept.set(
      key,
      proofs,
      proofs.seal.length +
        proofs.round.length +
        hashesBytes([...proofs.sealProof.hashes, ...proofs.roundProof.hashes]),
    );
    return proofs;
  }

  /** A stored round with the tree of its seals. */
  async round(db: Pool, hasher: MerkleHasher, k: number): Promise<CachedRound | undefined> {
    return (await this.#kept.load(
      `r:${k}`,
      async () => (await roundsOf(db, hasher, [k])).get(k),
      roundBytes,
    )) as CachedRound | undefined;
  }

  /**
   * The calendar inclusion proof of round k in the calendar of `size` rounds, from stored calendar
   * nodes (perfect subtrees: each kept once read, so a new size mostly reads only its newest nodes).
   */
  async calendarProof(db: Pool, hasher: MerkleHasher, k: number, size: number): Promise<Uint8Array[]> {
    const proof = await this.#kept.load(
      `p:${k}/${size}`,
      () => fetchProof(hasher, inclusionNodes(k, size), size, (nodes) => this.#calendarNodes(db, nodes)),
      (p) => hashesBytes(p as Uint8Array[]),
    );
    return (proof ?? []) as Uint8Array[];
  }

  async #calendarNodes(db: Pool, nodes: readonly NodeAddress[]): Promise<Uint8Array[]> {
    const key = (n: NodeAddress) => `n:${n.level}/${n.index}`;
    const found = nodes.map((n) => this.#kept.get(key(n)) as Uint8Array[] | undefined);
    const missing = nodes.filter((_, i) => found[i] === undefined);
    const read = await fetchCalendarNodes(db, missing);
    missing.forEach((n, i) => {
      const hash = read[i];
      if (hash !== undefined) this.#kept.set(key(n), [hash], hashesBytes([hash]));
    });
    let next = 0;
    return found.map((hit) => hit?.[0] ?? (read[next++] as Uint8Array));
  }
}

/** The hot index's key: the tenant (never holding NUL), NUL, and the id's 16 bytes as 16 latin1 chars. */
const eventKey = (eventId: Uint8Array, tenant: string): string =>
  `e:${tenant}\u0000${Buffer.from(eventId.buffer, eventId.byteOffset, eventId.byteLength).toString('latin1')}`;

/** Each stored round of `ks` with the tree of its seals. */
async function roundsOf(
  db: Pool,
  hasher: MerkleHasher,
  ks: readonly number[],
): Promise<Map<number, CachedRound>> {
  const { rows } = await db.query({
    name: 'verifier_round_seals',
    text: `SELECT r.k, r.record, coalesce(array_agg(s.record ORDER BY s.position), '{}') AS seals
       FROM ${SCHEMA}.rounds r JOIN ${SCHEMA}.round_seals s ON s.k = r.k WHERE r.k = ANY($1::int8[])
       GROUP BY r.k, r.record`,
    values: [ks],
  });
  return new Map(
    rows.map((row) => {
      const seals = toBytesList(row.seals, 'seals');
      const round: CachedRound = {
        record: toBytes(row.record, 'record'),
        sealCount: seals.length,
        tree: MerkleTree.fromLeaves(hasher, seals),
      };
      return [toSafeInteger(row.k, 'k'), round];
    }),
  );
}
