import { assembleReceipt, checkReceiptProofs, type Receipt, ReceiptError } from '@msi/core';
import { fetchProof, inclusionNodes, type MerkleHasher, MerkleTree, type NodeAddress } from '@msi/merkle';
import { type Pool, toBytes, toBytesList, toOptionalSafeInteger, toSafeInteger, toText } from '@msi/postgres';
import { SCHEMA } from './schema.js';
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

const VISIBLE = `(e.tenant = $2::text OR (e.kind = 1 AND e.to_tenant = $2::text))`;

function eventRow(r: Record<string, unknown>): EventRow {
  const anchor =
    r.k === null || r.k === undefined
      ? {}
      : {
          anchor: {
            sealRecord: toBytes(r.seal_record, 'seal_record'),
            leafCount: toSafeInteger(r.leaf_count, 'leaf_count'),
            k: toSafeInteger(r.k, 'k'),
            position: toSafeInteger(r.seal_position, 'seal_position'),
          },
        };
  return {
    ...anchor,
    streamSeq: toSafeInteger(r.stream_seq, 'stream_seq'),
    position: toSafeInteger(r.position, 'position'),
    tenant: toText(r.tenant, 'tenant'),
    canonical: toBytes(r.canonical, 'canonical'),
    sealSeq: toOptionalSafeInteger(r.seal_seq, 'seal_seq'),
    leafIndex: toOptionalSafeInteger(r.leaf_index, 'leaf_index'),
  };
}

const FIND_EVENTS = `SELECT DISTINCT ON (q.i) q.i, e.stream_seq, e.position, e.tenant, e.canonical, e.seal_seq,
     e.leaf_index
   FROM unnest($1::bytea[], $2::text[]) WITH ORDINALITY AS q(id, tenant, i)
   JOIN ${SCHEMA}.events e ON e.event_id = q.id AND (e.tenant = q.tenant OR (e.kind = 1 AND e.to_tenant = q.tenant))
   ORDER BY q.i, (e.tenant = q.tenant) DESC, (e.seal_seq IS NULL), e.stream_seq, e.position`;

/**
 * The visible events with the given ids, one entry per request (the caller's own first, then the
 * earliest anchored copy; undefined when none is visible), in one round trip.
 */
export async function findEvents(
  db: Pool,
  requests: readonly { readonly eventId: Uint8Array; readonly tenant: string }[],
): Promise<(EventRow | undefined)[]> {
  if (requests.length === 0) return [];
  const { rows } = await db.query({
    name: 'verifier_find_events',
    text: FIND_EVENTS,
    values: [requests.map((r) => Buffer.from(r.eventId)), requests.map((r) => r.tenant)],
  });
  const found: (EventRow | undefined)[] = requests.map(() => undefined);
  for (const row of rows) found[toSafeInteger(row.i, 'i') - 1] = eventRow(row);
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
 * Coalesces concurrent findEvent calls: while `maxInFlight` lookups are running, new requests queue
 * and go out together as one findEvents query (at most `maxBatch` ids). Saves a round trip per
 * receipt under load; a lone request goes out at once.
 */
export class EventFinder {
  readonly #db: Pool;
  readonly #maxInFlight: number;
  readonly #maxBatch: number;
  #inFlight = 0;
  #queue: {
    eventId: Uint8Array;
    tenant: string;
    resolve: (row: EventRow | undefined) => void;
    reject: (error: unknown) => void;
  }[] = [];

  constructor(db: Pool, options: { maxInFlight?: number; maxBatch?: number } = {}) {
    this.#db = db;
    this.#maxInFlight = options.maxInFlight ?? 4;
    this.#maxBatch = options.maxBatch ?? 256;
  }

  find(eventId: Uint8Array, tenant: string): Promise<EventRow | undefined> {
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
            for (const [i, request] of batch.entries()) request.resolve(rows[i]);
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
 * The receipt of a stored event, from the stored seal levels, the round's seals and the calendar
 * nodes, against the newest checkpoint with cosignatures when it covers the event's round (with its
 * cosigned note), else the newest verified checkpoint. Checks the assembled proofs (steps 2–5 of
 * docs/PROOFS.md §8) before returning: a row changed in storage makes it TAMPERED, never a bad receipt.
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
  const eventHashes = await fetchProof(
    hasher,
    inclusionNodes(event.leafIndex, leafCount),
    leafCount,
    async (nodes) => sealNodes(sealSeq, await cache.sealLevels(db, sealSeq), nodes),
  );
  const round = await cache.round(db, hasher, k);
  if (round === undefined) throw new VerifierError('NOT_ANCHORED', 'the round is not stored');
  const position = seal.position;
  const roundHashes = await cache.calendarProof(db, hasher, k, size);
  const receipt = assembleReceipt({
    event: event.canonical,
    eventProof: { leafIndex: event.leafIndex, treeSize: leafCount, hashes: eventHashes },
    seal: seal.sealRecord,
    sealProof: {
      leafIndex: position,
      treeSize: round.sealCount,
      hashes: round.tree.inclusionProof(position),
    },
    round: round.record,
    roundProof: { leafIndex: k, treeSize: size, hashes: roundHashes },
    checkpoint: checkpoint.note,
  });
  try {
    checkReceiptProofs(receipt, hasher);
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

async function anchorOf(db: Pool, sealSeq: number): Promise<EventRow['anchor']> {
  const { rows } = await db.query(
    `SELECT s.record, s.leaf_count, rs.k, rs.position FROM ${SCHEMA}.seals s
     JOIN ${SCHEMA}.round_seals rs ON rs.seal_seq = s.stream_seq
     JOIN ${SCHEMA}.rounds r ON r.k = rs.k AND r.verified
     WHERE s.stream_seq = $1::int8 AND s.verified ORDER BY rs.k LIMIT 1`,
    [sealSeq],
  );
  const row = rows[0];
  if (row === undefined) return undefined;
  return {
    sealRecord: toBytes(row.record, 'record'),
    leafCount: toSafeInteger(row.leaf_count, 'leaf_count'),
    k: toSafeInteger(row.k, 'k'),
    position: toSafeInteger(row.position, 'position'),
  };
}

function sealNodes(
  sealSeq: number,
  levels: readonly Uint8Array[],
  nodes: readonly NodeAddress[],
): Uint8Array[] {
  return nodes.map((n) => {
    const level = levels[n.level];
    const start = n.index * 32;
    if (level === undefined || start + 32 > level.length)
      throw new VerifierError('TAMPERED', `seal ${sealSeq}: a tree node is missing`);
    return level.subarray(start, start + 32);
  });
}

async function loadSealLevels(db: Pool, sealSeq: number): Promise<Uint8Array[]> {
  const { rows } = await db.query({
    name: 'verifier_seal_levels',
    text: `SELECT level, hashes FROM ${SCHEMA}.seal_levels WHERE seal_seq = $1::int8 ORDER BY level`,
    values: [sealSeq],
  });
  const levels: Uint8Array[] = [];
  for (const row of rows) levels[toSafeInteger(row.level, 'level')] = toBytes(row.hashes, 'hashes');
  return levels;
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

/**
 * The visible events naming `imprint` as data, input or output, ordered by (received_at, stream
 * position), from `offset`, at most `limit`, received in [fromUs, toUs) (0 = unbounded).
 */
export async function historyOf(
  db: Pool,
  imprint: Uint8Array,
  tenant: string,
  range: { fromUs: number; toUs: number; offset: number; limit: number },
): Promise<HistoryRow[]> {
  const { rows } = await db.query(
    `SELECT e.stream_seq, e.position, e.tenant, e.canonical, e.seal_seq, e.leaf_index, e.received_at_us,
       string_agg(i.role, ',' ORDER BY i.role) AS role
     FROM ${SCHEMA}.event_imprints i
     JOIN ${SCHEMA}.events e ON e.stream_seq = i.stream_seq AND e.position = i.position
     WHERE i.imprint = $1::bytea AND ${VISIBLE}
       AND ($3::int8 = 0 OR e.received_at_us >= $3::int8) AND ($4::int8 = 0 OR e.received_at_us < $4::int8)
     GROUP BY e.stream_seq, e.position
     ORDER BY e.received_at_us, e.stream_seq, e.position OFFSET $5::int8 LIMIT $6::int8`,
    [Buffer.from(imprint), tenant, range.fromUs, range.toUs, range.offset, range.limit],
  );
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

const CACHE_LIMIT = 4096;
const CHECKPOINT_TTL_MS = 100;
const LEVEL_CACHE_BYTES = 64 * 1024 * 1024;

/**
 * What every receipt of a round shares, read once: stored rounds (immutable once applied) with their
 * seal trees, calendar inclusion proofs per (round, size), and the newest checkpoint (re-read after
 * 100 ms). Every receipt assembled from it is still checked before it is served.
 */
export class ReceiptCache {
  #rounds = new Map<number, CachedRound>();
  #proofs = new Map<string, Uint8Array[]>();
  #checkpoint: (LatestCheckpoint & { at: number }) | undefined;
  #anchors = new Map<number, NonNullable<EventRow['anchor']>>();
  #levels = new Map<number, Promise<Uint8Array[]>>();
  #levelBytes = new Map<number, number>();
  #levelTotal = 0;

  /**
   * Where a seal is anchored (its record, leaf count, round and position in it); remembered once
   * found, as a verified seal in a verified round never changes.
   */
  async anchor(db: Pool, sealSeq: number): Promise<EventRow['anchor']> {
    const cached = this.#anchors.get(sealSeq);
    if (cached !== undefined) return cached;
    const found = await anchorOf(db, sealSeq);
    if (found !== undefined) remember(this.#anchors, sealSeq, found);
    return found;
  }

  /**
   * A seal's stored tree levels (least recently used dropped beyond 64 MiB). Every receipt built
   * from them is still checked against the seal's root before it is served.
   */
  sealLevels(db: Pool, sealSeq: number): Promise<Uint8Array[]> {
    const cached = this.#levels.get(sealSeq);
    if (cached !== undefined) {
      this.#levels.delete(sealSeq);
      this.#levels.set(sealSeq, cached); // most recently used last
      return cached;
    }
    const loading = loadSealLevels(db, sealSeq);
    this.#levels.set(sealSeq, loading);
    loading.then(
      (levels) => {
        if (this.#levels.get(sealSeq) !== loading) return;
        const bytes = levels.reduce((sum, l) => sum + (l?.length ?? 0), 0);
        this.#levelBytes.set(sealSeq, bytes);
        this.#levelTotal += bytes;
        for (const [seq] of this.#levels) {
          if (this.#levelTotal <= LEVEL_CACHE_BYTES || seq === sealSeq) break;
          this.#dropLevels(seq);
        }
      },
      () => {
        if (this.#levels.get(sealSeq) === loading) this.#dropLevels(sealSeq);
      },
    );
    return loading;
  }

  #dropLevels(sealSeq: number): void {
    this.#levels.delete(sealSeq);
    this.#levelTotal -= this.#levelBytes.get(sealSeq) ?? 0;
    this.#levelBytes.delete(sealSeq);
  }

  /** The newest verified checkpoint and the newest cosigned one (re-read after 100 ms). */
  async latestCheckpoint(db: Pool): Promise<LatestCheckpoint | undefined> {
    const now = Date.now();
    if (this.#checkpoint !== undefined && now - this.#checkpoint.at < CHECKPOINT_TTL_MS)
      return this.#checkpoint;
    const { rows } = await db.query(
      `SELECT p.size, p.note, c.size AS cosigned_size, c.note AS cosigned_note
       FROM (SELECT size, note FROM ${SCHEMA}.checkpoints ORDER BY size DESC LIMIT 1) p
       LEFT JOIN LATERAL (SELECT size, note FROM ${SCHEMA}.cosigned_checkpoints ORDER BY size DESC LIMIT 1) c
         ON true`,
    );
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

  async round(db: Pool, hasher: MerkleHasher, k: number): Promise<CachedRound | undefined> {
    const cached = this.#rounds.get(k);
    if (cached !== undefined) return cached;
    const { rows } = await db.query(
      `SELECT r.record, coalesce(array_agg(s.record ORDER BY s.position), '{}') AS seals
       FROM ${SCHEMA}.rounds r JOIN ${SCHEMA}.round_seals s ON s.k = r.k WHERE r.k = $1::int8 GROUP BY r.record`,
      [k],
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    const seals = toBytesList(row.seals, 'seals');
    const round = {
      record: toBytes(row.record, 'record'),
      sealCount: seals.length,
      tree: MerkleTree.fromLeaves(hasher, seals),
    };
    remember(this.#rounds, k, round);
    return round;
  }

  async calendarProof(db: Pool, hasher: MerkleHasher, k: number, size: number): Promise<Uint8Array[]> {
    const key = `${k}/${size}`;
    const cached = this.#proofs.get(key);
    if (cached !== undefined) return cached;
    const proof = await fetchProof(hasher, inclusionNodes(k, size), size, (nodes) =>
      fetchCalendarNodes(db, nodes),
    );
    remember(this.#proofs, key, proof);
    return proof;
  }
}

function remember<K, V>(map: Map<K, V>, key: K, value: V): void {
  if (map.size >= CACHE_LIMIT) {
    const oldest = map.keys().next();
    if (!oldest.done) map.delete(oldest.value);
  }
  map.set(key, value);
}
