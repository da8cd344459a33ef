import type { sendUnaryData } from '@grpc/grpc-js';
import { liveReports, resizeShardMap, type ShardMap, ShardMapError } from '@msi/core';
import type { ingestV1ShardAdmin } from '@msi/proto';
import { isCasConflict, type ShardMapStore } from '@msi/shard-map';
import type { CallInfo, IngestCalls } from './ingest-calls.js';
import { IngestError, statusOf } from './ingest-error.js';
import type { ShardRouting } from './shard-routing.js';

const GET_SHARD_MAP = '/msi.ingest.v1.ShardAdminService/GetShardMap';
const SET_SHARD_COUNT = '/msi.ingest.v1.ShardAdminService/SetShardCount';

/**
 * ShardAdminService: operators (the `operator` role, authenticated like every ingest call) read the
 * shard map and change its active count. A change is core resizeShardMap from the version the
 * operator saw, written by compare-and-set on the map's KV revision, so of two operators changing the
 * map at once exactly one wins; the other is told which version won.
 */
export function shardAdminImplementation(
  calls: IngestCalls,
  routing: ShardRouting,
): ingestV1ShardAdmin.ShardAdminServiceServer {
  return {
    getShardMap(call, callback) {
      unary(calls, callback, async () => {
        calls.authorize(call as CallInfo, GET_SHARD_MAP, 'operator');
        const stored = await routing.store.read();
        return viewOf(stored?.map ?? routing.current, routing.store, calls.deps.nowMs());
      });
    },
    setShardCount(call, callback) {
      unary(calls, callback, async () => {
        const identity = calls.authorize(call as CallInfo, SET_SHARD_COUNT, 'operator');
        const stored = await routing.store.read();
        if (stored === undefined)
          throw new IngestError('UNAVAILABLE', undefined, 'the shard map is not in KV; retry');
        const requested = Number(call.request.expectedVersion);
        const expectedVersion = requested === 0 ? stored.map.version : requested;
        let next: ShardMap;
        try {
          next = resizeShardMap(
            stored.map,
            { count: call.request.count, expectedVersion, by: identity.principal },
            calls.deps.nowMs(),
          );
        } catch (error: unknown) {
          if (error instanceof ShardMapError && error.code === 'UNCHANGED') {
            return { map: await viewOf(stored.map, routing.store, calls.deps.nowMs()) };
          }
          throw refusalOf(error);
        }
        let revision: number;
        try {
          revision = await routing.store.replace(next, stored.revision);
        } catch (error: unknown) {
          if (!isCasConflict(error)) throw error;
          throw new IngestError(
            'ABORTED',
            'expected_version',
            `another change to the shard map won while version ${stored.map.version} was being changed to ${next.version}; read the map again and retry`,
          );
        }
        await routing.adopt({ map: next, revision });
        calls.deps.log.info('shard map changed', {
          version: next.version,
          activeCount: next.activeCount,
          by: identity.principal,
        });
        return { map: await viewOf(next, routing.store, calls.deps.nowMs()) };
      });
    },
  };
}

function refusalOf(error: unknown): unknown {
  if (!(error instanceof ShardMapError)) return error;
  switch (error.code) {
    case 'VERSION_CONFLICT':
      return new IngestError('FAILED_PRECONDITION', 'expected_version', error.message, { cause: error });
    case 'COUNT_INVALID':
      return new IngestError('INVALID_ARGUMENT', 'count', error.message, { cause: error });
    case 'UNCHANGED':
    case 'MAP_MALFORMED':
      return new IngestError('INTERNAL', undefined, error.message, { cause: error });
    default: {
      const _: never = error.code;
      return _;
    }
  }
}

/** The map with each shard's last reported status and every ingest instance's report. */
async function viewOf(
  map: ShardMap,
  store: ShardMapStore,
  nowMs: number,
): Promise<ingestV1ShardAdmin.GetShardMapResponse> {
  const [statuses, reports] = await Promise.all([store.statuses(), store.reports()]);
  const live = new Set(liveReports(reports, nowMs).map((r) => r.instance));
  return {
    version: BigInt(map.version),
    activeCount: map.activeCount,
    changedAtMs: BigInt(map.changedAtMs),
    changedBy: map.changedBy,
    shards: map.shards.map((entry) => {
      const status = statuses.get(entry.shard);
      return {
        shard: entry.shard,
        state: entry.state,
        sinceVersion: BigInt(entry.sinceVersion),
        owner: status?.owner ?? '',
        backlog: BigInt(status?.backlog ?? 0),
        sealLagMs: BigInt(status?.sealLagMs ?? 0),
        statusAtMs: BigInt(status?.updatedAtMs ?? 0),
      };
    }),
    instances: reports
      .map((r) => ({ instance: r.instance, mapVersion: BigInt(r.mapVersion), live: live.has(r.instance) }))
      .sort((a, b) => a.instance.localeCompare(b.instance)),
  };
}

function unary<Response>(
  calls: IngestCalls,
  callback: sendUnaryData<Response>,
  work: () => Promise<Response>,
): void {
  work().then(
    (response) => callback(null, response),
    (error: unknown) => {
      let refused: IngestError;
      if (error instanceof IngestError) refused = error;
      else {
        calls.deps.log.error('shard admin call failed', { error });
        refused = new IngestError('INTERNAL', undefined, 'internal error');
      }
      calls.deps.metrics.rejected.inc({ code: refused.code });
      callback(statusOf(refused));
    },
  );
}
