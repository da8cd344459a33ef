import { type ServerUnaryCall, status } from '@grpc/grpc-js';
import {
  decodeEvent,
  type Ed25519Verifier,
  EVENT_LIMITS,
  ImprintError,
  NoteError,
  parseImprint,
  parseVerifierKey,
  ReceiptError,
  receiptToJson,
  verifyReceipt,
} from '@msi/core';
import { consistencyNodes, fetchProof, type MerkleHasher, ProofError } from '@msi/merkle';
import { type Pool, toBytes, toSafeInteger, toText } from '@msi/postgres';
import { verifierV1 } from '@msi/proto';
import { type Logger, type SecurityReporter, unaryHandler } from '@msi/service-kit';
import { eventToProto, receiptFromProto, receiptToProto, WireError } from '@msi/wire';
import type { ApiKeys, Identity } from './credentials.js';
import type { Failure } from './integrity.js';
import { lineageLinkOf } from './lineage-link.js';
import { lineageLevel } from './lineage-store.js';
import { type Way, walkLineage } from './lineage-walk.js';
import type { VerifierMetrics } from './metrics.js';
import { pageSizeField, pageToken, readPageToken } from './page-token.js';
import { insertFailures, roundSeals } from './projection-store.js';
import { publicationsOf } from './publication-store.js';
import {
  actorEventsOf,
  CHECKPOINT_NOTES,
  EventFinder,
  fetchCalendarNodes,
  type HistoryRow,
  historyOf,
  ReceiptCache,
  receiptOf,
} from './receipt-store.js';
import {
  checkVerifyRequest,
  count,
  directionField,
  eventIdField,
  instant,
  LINEAGE_LIMITS,
  limitField,
  textField,
  timeRange,
} from './request-checks.js';
import { SCHEMA } from './schema.js';
import { toStatus, VerifierError } from './verifier-error.js';
import { watchReceiptsHandler } from './watch-receipts.js';
import { witnessStatus } from './witness-status.js';

export interface VerifierServiceDeps {
  readonly pool: Pool;
  readonly hasher: MerkleHasher;
  readonly ed25519: Ed25519Verifier;
  readonly keys: ApiKeys;
  /** Publishes failed authentications and authorizations (and undecodable requests) as security events. */
  readonly security: SecurityReporter;
  /** Reports an integrity failure found while serving (a tampered projection row). */
  readonly report: (failure: Failure) => void;
  readonly now: () => number;
  readonly log: Logger;
  /** The receipt cache (receipt-store.ts; the projector feeds its hot index). Default: a new one of 128 MiB. */
  readonly cache?: ReceiptCache;
  /** GetReceipt latency and receipts served. */
  readonly metrics?: Pick<VerifierMetrics, 'getReceiptSeconds' | 'receiptsServed'>;
}

const MAX_PAGE = 1000;
/** The LineageHop direction of each walk. */
const WAY_DIRECTION: Readonly<Record<Way, verifierV1.LineageDirection>> = {
  up: verifierV1.LineageDirection.LINEAGE_DIRECTION_UPSTREAM,
  down: verifierV1.LineageDirection.LINEAGE_DIRECTION_DOWNSTREAM,
};
const WAIT_POLL_MS = 100;
/**
 * A waiting GetReceipt answers this long before the call's deadline (NOT_FOUND or UNAVAILABLE, as
 * without `wait`), so the caller gets the verifier's answer rather than its own DEADLINE_EXCEEDED.
 */
const WAIT_MARGIN_MS = 250;
/** The longest a GetReceipt waits, whatever its deadline. */
const MAX_WAIT_MS = 60_000;
/**
 * A GetHistory page_token of a verifier before migration 10: the next page's offset, in decimal. Still
 * honoured (a listing begun before an upgrade goes on), at the cost of reading the rows it skips; the
 * tokens given out now are keyset ones (page-token.ts), which never begin with a digit.
 */
const OFFSET_PAGE_TOKEN = /^(0|[1-9][0-9]{0,14})$/;

/** Builds the report function: records the failure in the projection and publishes it. */
export function failureReporter(pool: Pool, publish: (failure: Failure) => void): (failure: Failure) => void {
  return (failure) => {
    void insertFailures(pool, [failure]).catch(() => {});
    publish(failure);
  };
}

/** The VerifierService handlers. */
export function verifierService(deps: VerifierServiceDeps): verifierV1.VerifierServiceServer {
  const cache = deps.cache ?? new ReceiptCache();
  const finder = new EventFinder(deps.pool, { cache });
  const unary = unaryHandler(toStatus, deps.log);

  const auditor = (call: ServerUnaryCall<unknown, unknown>): Identity => {
    const auth = deps.keys.authenticateCall(call.metadata);
    const incident = { method: call.getPath(), peer: call.getPeer() };
    if (!auth.ok) {
      deps.security.report({
        ...incident,
        kind: 'UNAUTHENTICATED',
        principal: '',
        tenant: '',
        reason: auth.reason,
      });
      throw new VerifierError('UNAUTHENTICATED', 'a valid API key is required');
    }
    const { identity } = auth;
    if (!identity.roles.has('auditor')) {
      deps.security.report({
        ...incident,
        kind: 'PERMISSION_DENIED',
        principal: identity.principal,
        tenant: identity.tenant,
        reason: 'missing_role',
      });
      throw new VerifierError('PERMISSION_DENIED', 'the auditor role is required');
    }
    return identity;
  };

  const serveReceipt = async (row: Parameters<typeof receiptOf>[2]) => {
    try {
      const receipt = await receiptOf(deps.pool, deps.hasher, row, cache);
      deps.metrics?.receiptsServed.inc();
      return receipt;
    } catch (error: unknown) {
      if (error instanceof VerifierError && error.code === 'TAMPERED') {
        deps.report({
          kind: verifierV1.IntegrityFailureKind.INTEGRITY_FAILURE_KIND_PROJECTION_TAMPERED,
          source: 'projection',
          seq: row.streamSeq,
          shard: 0,
          number: row.position,
          detail: error.message,
        });
      }
      throw error;
    }
  };

  /** A history entry of a row (its receipt when anchored), with the event decoded. */
  const historyEntry = async (row: HistoryRow) => {
    const event = decodeEvent(row.event.canonical);
    let receipt: verifierV1.HistoryEntry['receipt'];
    try {
      receipt = receiptToProto(await serveReceipt(row.event));
    } catch (error: unknown) {
      if (!(error instanceof VerifierError && error.code === 'NOT_ANCHORED')) throw error;
    }
    const entry: verifierV1.HistoryEntry = {
      event: eventToProto(event),
      round: receipt === undefined ? 0n : BigInt(receiptRound(receipt)),
      anchored: receipt !== undefined,
      receipt,
      role: row.role,
    };
    return { entry, event };
  };

  /** The entries of a page, in order: what their receipts need read first in a few bulk queries. */
  const historyEntries = async (page: readonly HistoryRow[]) => {
    await cache.prefetch(
      deps.pool,
      deps.hasher,
      page.map((row) => row.event),
    );
    const entries: Awaited<ReturnType<typeof historyEntry>>[] = [];
    for (const row of page) entries.push(await historyEntry(row));
    return entries;
  };

  return {
    getReceipt: unary(
      timed(
        deps.metrics,
        async (call: ServerUnaryCall<verifierV1.GetReceiptRequest, verifierV1.GetReceiptResponse>) => {
          const identity = auditor(call);
          const eventId = eventIdField('event_id', call.request.eventId);
          const deadline = call.getDeadline();
          const until =
            Math.min(
              deadline instanceof Date ? deadline.getTime() : Number(deadline),
              deps.now() + MAX_WAIT_MS,
            ) - WAIT_MARGIN_MS;
          for (;;) {
            try {
              const row = await finder.find(eventId, identity.tenant);
              if (row === undefined)
                throw new VerifierError('NOT_FOUND', 'no such event visible to this tenant');
              const receipt = await serveReceipt(row);
              return { receipt: receiptToProto(receipt), receiptJson: receiptToJson(receipt) };
            } catch (error: unknown) {
              // With `wait`, an event not projected yet (NOT_FOUND) or not anchored yet is waited for.
              const waitable =
                error instanceof VerifierError &&
                (error.code === 'NOT_ANCHORED' || error.code === 'NOT_FOUND') &&
                call.request.wait;
              const left = until - deps.now();
              if (!waitable || left <= 0) throw error;
              await new Promise((resolve) => setTimeout(resolve, Math.min(WAIT_POLL_MS, left)));
            }
          }
        },
      ),
    ),

    getHistory: unary(
      async (call: ServerUnaryCall<verifierV1.GetHistoryRequest, verifierV1.GetHistoryResponse>) => {
        const identity = auditor(call);
        const { data, fromUs, toUs, pageSize, pageToken: token } = call.request;
        imprintField('data', data);
        const range = { fromUs: instant('from_us', fromUs), toUs: instant('to_us', toUs) };
        const limit = pageSizeField('page_size', pageSize, MAX_PAGE);
        const offsetToken = OFFSET_PAGE_TOKEN.test(token);
        const offset = offsetToken ? Number(token) : 0;
        const after = token === '' || offsetToken ? undefined : readPageToken('page_token', token, 3);
        const rows = await historyOf(deps.pool, data, identity.tenant, {
          ...range,
          after:
            after === undefined
              ? undefined
              : { receivedAt: after[0] ?? 0, streamSeq: after[1] ?? 0, position: after[2] ?? 0 },
          offset,
          limit: limit + 1,
        });
        const page = rows.slice(0, limit);
        const entries: verifierV1.HistoryEntry[] = [];
        const links: verifierV1.LineageLink[] = [];
        for (const { entry, event } of await historyEntries(page)) {
          entries.push(entry);
          const link = entry.event === undefined ? undefined : lineageLinkOf(event, entry.event);
          if (link !== undefined) links.push(link);
        }
        const last = page.at(-1);
        return {
          entries,
          links,
          nextPageToken:
            rows.length > limit && last !== undefined
              ? pageToken([last.receivedAt, last.event.streamSeq, last.event.position])
              : '',
        };
      },
    ),

    searchByActor: unary(
      async (call: ServerUnaryCall<verifierV1.SearchByActorRequest, verifierV1.SearchByActorResponse>) => {
        const identity = auditor(call);
        const { actor, fromUs, toUs, pageSize, pageToken: token } = call.request;
        textField('actor', actor, EVENT_LIMITS.maxPrincipalBytes);
        const range = timeRange(fromUs, toUs);
        const limit = pageSizeField('page_size', pageSize, MAX_PAGE);
        const after = token === '' ? undefined : readPageToken('page_token', token, 3);
        const rows = await actorEventsOf(deps.pool, actor, identity.tenant, {
          ...range,
          after:
            after === undefined
              ? undefined
              : { receivedAt: after[0] ?? 0, streamSeq: after[1] ?? 0, position: after[2] ?? 0 },
          limit: limit + 1,
        });
        const page = rows.slice(0, limit);
        const entries = (await historyEntries(page)).map(({ entry }) => entry);
        const last = page.at(-1);
        return {
          entries,
          nextPageToken:
            rows.length > limit && last !== undefined
              ? pageToken([last.receivedAt, last.event.streamSeq, last.event.position])
              : '',
        };
      },
    ),

    getLineage: unary(
      async (call: ServerUnaryCall<verifierV1.GetLineageRequest, verifierV1.GetLineageResponse>) => {
        const identity = auditor(call);
        const { data, direction, maxDepth, maxLinks } = call.request;
        imprintField('data', data);
        const ways = directionField('direction', direction);
        const limits = {
          maxDepth: limitField('max_depth', maxDepth, LINEAGE_LIMITS.maxDepth, LINEAGE_LIMITS.defaultDepth),
          maxLinks: limitField('max_links', maxLinks, LINEAGE_LIMITS.maxLinks, LINEAGE_LIMITS.defaultLinks),
        };
        const walk = await walkLineage(lineageLevel(deps.pool, identity.tenant), data, ways, limits);
        const latest = walk.hops.length === 0 ? undefined : await cache.latestCheckpoint(deps.pool);
        return {
          hops: walk.hops.map((hop) => {
            const anchored = hop.round !== undefined && latest !== undefined && latest.size > hop.round;
            return {
              link: hop.link,
              depth: hop.depth,
              round: anchored ? BigInt(hop.round ?? 0) : 0n,
              anchored,
              direction: WAY_DIRECTION[hop.way],
            };
          }),
          truncated: walk.truncated,
        };
      },
    ),

    getWitnessStatus: unary(
      async (
        _call: ServerUnaryCall<verifierV1.GetWitnessStatusRequest, verifierV1.GetWitnessStatusResponse>,
      ) => witnessStatus(deps.pool),
    ),

    listPublications: unary(
      async (
        call: ServerUnaryCall<verifierV1.ListPublicationsRequest, verifierV1.ListPublicationsResponse>,
      ) => {
        const limit = pageSizeField('page_size', call.request.pageSize, MAX_PAGE);
        const token = call.request.pageToken;
        const after = token === '' ? undefined : readPageToken('page_token', token, 2);
        const rows = await publicationsOf(deps.pool, {
          after: after === undefined ? undefined : { timeUs: after[0] ?? 0, streamSeq: after[1] ?? 0 },
          limit: limit + 1,
        });
        const page = rows.slice(0, limit);
        const last = page.at(-1);
        return {
          publications: page.map((p) => ({ timeUs: BigInt(p.timeUs), size: BigInt(p.size), text: p.text })),
          nextPageToken:
            rows.length > limit && last !== undefined ? pageToken([last.timeUs, last.streamSeq]) : '',
        };
      },
    ),

    verifyReceipt: unary(
      async (call: ServerUnaryCall<verifierV1.VerifyReceiptRequest, verifierV1.VerifyReceiptResponse>) => {
        checkVerifyRequest(call.request);
        const { receipt, trustedKeys, witnessKeys, quorum } = call.request;
        if (receipt === undefined)
          throw new VerifierError('INVALID_ARGUMENT', 'receipt: a receipt is required');
        const trust: Parameters<typeof verifyReceipt>[1] = {
          logKeys: trustedKeys.map((k, i) => keyField(`trusted_keys[${i}]`, k)),
          witnessKeys: witnessKeys.map((k, i) => keyField(`witness_keys[${i}]`, k)),
          quorum,
        };
        try {
          const proven = verifyReceipt(receiptFromProto(receipt), trust, {
            hasher: deps.hasher,
            ed25519: deps.ed25519,
          });
          return {
            ok: true,
            failureCode: '',
            message: 'valid',
            proven: {
              eventId: Buffer.from(proven.event.eventId),
              tenant: proven.event.tenant,
              round: BigInt(proven.round.round),
              closedAtUs: BigInt(proven.round.closedAt),
              checkpointSize: BigInt(proven.checkpoint.size),
              origin: proven.checkpoint.origin,
              logKeys: [...proven.logKeys],
              witnesses: proven.witnesses.map((w) => w.name),
            },
          };
        } catch (error: unknown) {
          if (error instanceof ReceiptError) {
            return { ok: false, failureCode: error.code, message: error.message, proven: undefined };
          }
          if (error instanceof WireError) {
            return { ok: false, failureCode: 'RECEIPT_MALFORMED', message: error.message, proven: undefined };
          }
          throw error;
        }
      },
    ),

    getCheckpoint: unary(
      async (call: ServerUnaryCall<verifierV1.GetCheckpointRequest, verifierV1.GetCheckpointResponse>) => {
        const size = count('size', call.request.size);
        const where = call.request.cosigned ? 'WHERE c.note IS NOT NULL' : 'WHERE true';
        const { rows } =
          size === 0
            ? await deps.pool.query(`${CHECKPOINT_NOTES} ${where} ORDER BY p.size DESC LIMIT 1`)
            : await deps.pool.query(`${CHECKPOINT_NOTES} ${where} AND p.size = $1::int8`, [size]);
        const row = rows[0];
        if (row === undefined) {
          throw new VerifierError(
            'NOT_FOUND',
            call.request.cosigned
              ? `no verified checkpoint with witness cosignatures${size === 0 ? ' yet' : ' of that size'}`
              : 'no verified checkpoint of that size',
          );
        }
        return { checkpoint: toText(row.note, 'note'), size: BigInt(row.size) };
      },
    ),

    getConsistencyProof: unary(
      async (
        call: ServerUnaryCall<verifierV1.GetConsistencyProofRequest, verifierV1.GetConsistencyProofResponse>,
      ) => {
        const oldSize = count('old_size', call.request.oldSize);
        const newSize = count('new_size', call.request.newSize);
        if (oldSize < 1) throw new VerifierError('INVALID_ARGUMENT', 'old_size: at least 1');
        if (newSize < oldSize)
          throw new VerifierError(
            'INVALID_ARGUMENT',
            `new_size: ${newSize} is less than old_size ${oldSize}`,
          );
        const { rows } = await deps.pool.query(`SELECT size FROM ${SCHEMA}.calendar_state`);
        const have = toSafeInteger(rows[0]?.size ?? 0, 'size');
        if (newSize > have)
          throw new VerifierError(
            'OUT_OF_RANGE',
            `new_size: ${newSize} is beyond the calendar's ${have} rounds`,
          );
        try {
          const nodes = consistencyNodes(oldSize, newSize);
          const hashes = await fetchProof(deps.hasher, nodes, newSize, (wanted) =>
            fetchCalendarNodes(deps.pool, wanted),
          );
          return { hashes: hashes.map((h) => Buffer.from(h)) };
        } catch (error: unknown) {
          if (error instanceof ProofError) throw new VerifierError('INVALID_ARGUMENT', error.message);
          throw error;
        }
      },
    ),

    getRound: unary(
      async (call: ServerUnaryCall<verifierV1.GetRoundRequest, verifierV1.GetRoundResponse>) => {
        const selector = call.request.selector;
        if (selector === undefined)
          throw new VerifierError('INVALID_ARGUMENT', 'round: one of round and at_us is required');
        const { rows } =
          selector.$case === 'round'
            ? await deps.pool.query(`SELECT k, record FROM ${SCHEMA}.rounds WHERE k = $1::int8`, [
                count('round', selector.value),
              ])
            : await deps.pool.query(
                `SELECT k, record FROM ${SCHEMA}.rounds WHERE closed_at_us >= $1::int8 ORDER BY k LIMIT 1`,
                [instant('at_us', selector.value)],
              );
        const row = rows[0];
        if (row === undefined) throw new VerifierError('NOT_FOUND', 'no such round');
        const k = toSafeInteger(row.k, 'k');
        const seals = await roundSeals(deps.pool, k);
        const cp = await deps.pool.query(`${CHECKPOINT_NOTES} WHERE p.size = $1::int8`, [k + 1]);
        return {
          round: Buffer.from(toBytes(row.record, 'record')),
          seals: seals.map((s) => Buffer.from(s.record)),
          checkpoint: cp.rows[0] === undefined ? '' : String(cp.rows[0].note),
          sealShardMapVersions: seals.map((s) => BigInt(s.shardMapVersion)),
        };
      },
    ),

    watchReceipts: watchReceiptsHandler({ ...deps, cache }),
  };
}

function receiptRound(receipt: { roundProof?: { leafIndex: bigint } | undefined }): number {
  return Number(receipt.roundProof?.leafIndex ?? 0n);
}

/** Wraps a handler to observe its latency by gRPC status name. */
function timed<Call, Res>(
  metrics: VerifierServiceDeps['metrics'],
  work: (call: Call) => Promise<Res>,
): (call: Call) => Promise<Res> {
  if (metrics === undefined) return work;
  return async (call) => {
    const stop = metrics.getReceiptSeconds.startTimer();
    try {
      const response = await work(call);
      stop({ code: 'OK' });
      return response;
    } catch (error: unknown) {
      stop({ code: status[toStatus(error).code] ?? 'UNKNOWN' });
      throw error;
    }
  };
}

/** A verifier key string from a request, or INVALID_ARGUMENT naming the field. */
function keyField(field: string, text: string): ReturnType<typeof parseVerifierKey> {
  try {
    return parseVerifierKey(text);
  } catch (error: unknown) {
    if (error instanceof NoteError) throw new VerifierError('INVALID_ARGUMENT', `${field}: ${error.message}`);
    throw error;
  }
}

/** A data imprint (algorithm id || digest) from a request, or INVALID_ARGUMENT naming the field. */
function imprintField(field: string, bytes: Uint8Array): void {
  try {
    parseImprint(bytes);
  } catch (error: unknown) {
    if (error instanceof ImprintError)
      throw new VerifierError('INVALID_ARGUMENT', `${field}: ${error.code}: ${error.message}`);
    throw error;
  }
}
