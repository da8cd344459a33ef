import { status } from '@grpc/grpc-js';
import type { alerterV1, verifierV1 } from '@msi/proto';
import type {
  AckResponseJson,
  ActorSearchResponseJson,
  AlertsResponseJson,
  CheckpointResponseJson,
  HistoryResponseJson,
  LineageResponseJson,
  PublicationsResponseJson,
  ReceiptResponseJson,
  RoundResponseJson,
  WitnessesResponseJson,
} from './api-types.js';
import { ConsoleError } from './console-error.js';
import {
  alertJson,
  CATEGORIES,
  categoryOf,
  directionOf,
  historyEntryJson,
  LINEAGE_DIRECTIONS,
  lineageHopJson,
  publicationJson,
  roundJson,
  SEVERITIES,
  STATUSES,
  severityOf,
  statusOf,
  witnessStatusJson,
} from './json-of-proto.js';
import {
  imprintField,
  type JsonObject,
  optionalBigCount,
  optionalChoice,
  optionalCount,
  optionalFlag,
  optionalText,
  requiredText,
  requiredUtf8,
  uuidField,
} from './request-fields.js';
import { callUpstream, UpstreamFailure, type Upstreams } from './upstream.js';

/** One POST route of the HTTP API: the JSON body in, the JSON answer out. */
export type GatewayRoute = (body: JsonObject, authorization: string | undefined) => Promise<unknown>;

/** How long one upstream call may take. */
const CALL_TIMEOUT_MS = 30_000;

/** The largest instant or round a request may name: the int64 µs / uint64 fields' safe range. */
const MAX_INT64 = 2n ** 63n - 1n;

/** GetReceipt calls in flight at once for one lineage answer. */
const RECEIPT_CONCURRENCY = 16;

/**
 * The HTTP API (README.md, "HTTP API"): each route is one gRPC call of the verifier or the alerter,
 * made with the caller's own credentials. Paths are fixed strings: nothing of a path reaches a call.
 */
export function gatewayRoutes(upstreams: Upstreams): ReadonlyMap<string, GatewayRoute> {
  const { verifier, alerter } = upstreams;
  const call = <Req, Res>(
    method: Parameters<typeof callUpstream<Req, Res>>[0],
    request: Req,
    authorization: string | undefined,
  ) => callUpstream(method, request, authorization, CALL_TIMEOUT_MS);
  return new Map<string, GatewayRoute>([
    [
      '/api/v1/history',
      async (body, auth): Promise<HistoryResponseJson> => {
        const request = {
          data: imprintField(body, 'data'),
          fromUs: 0n,
          toUs: 0n,
          pageSize: optionalCount(body, 'pageSize', 1000),
          pageToken: optionalText(body, 'pageToken', 1024),
        };
        const response = await call(verifier.getHistory.bind(verifier), request, auth);
        return { entries: response.entries.map(historyEntryJson), nextPageToken: response.nextPageToken };
      },
    ],
    [
      '/api/v1/receipt',
      async (body, auth): Promise<ReceiptResponseJson> => {
        const request = { eventId: uuidField(body, 'eventId'), wait: false };
        const response = await call(verifier.getReceipt.bind(verifier), request, auth);
        return { receiptJson: response.receiptJson };
      },
    ],
    [
      '/api/v1/checkpoint',
      async (body, auth): Promise<CheckpointResponseJson> => {
        const request = {
          size: BigInt(optionalCount(body, 'size', Number.MAX_SAFE_INTEGER)),
          cosigned: optionalFlag(body, 'cosigned'),
        };
        const response = await call(verifier.getCheckpoint.bind(verifier), request, auth);
        return { checkpoint: response.checkpoint, size: response.size.toString() };
      },
    ],
    [
      '/api/v1/search/actor',
      async (body, auth): Promise<ActorSearchResponseJson> => {
        const request: verifierV1.SearchByActorRequest = {
          actor: requiredUtf8(body, 'actor', 256),
          fromUs: optionalBigCount(body, 'fromUs', MAX_INT64),
          toUs: optionalBigCount(body, 'toUs', MAX_INT64),
          pageSize: optionalCount(body, 'pageSize', 1000),
          pageToken: optionalText(body, 'pageToken', 1024),
        };
        const response = await call(verifier.searchByActor.bind(verifier), request, auth);
        return { entries: response.entries.map(historyEntryJson), nextPageToken: response.nextPageToken };
      },
    ],
    [
      '/api/v1/lineage',
      async (body, auth): Promise<LineageResponseJson> => {
        const request: verifierV1.GetLineageRequest = {
          data: imprintField(body, 'data'),
          direction: directionOf(optionalChoice(body, 'direction', LINEAGE_DIRECTIONS)),
          maxDepth: optionalCount(body, 'maxDepth', 16),
          maxLinks: optionalCount(body, 'maxLinks', 5000),
        };
        const response = await call(verifier.getLineage.bind(verifier), request, auth);
        // Each anchored link's receipt, read with the caller's own key (the same authorization as a
        // GetReceipt of theirs): the page verifies it before it draws the link as verified.
        const receipts = await mapLimited(response.hops, RECEIPT_CONCURRENCY, async (hop) => {
          const eventId = hop.link?.eventId;
          if (!hop.anchored || eventId === undefined || eventId.length !== 16) return null;
          try {
            const found = await call(verifier.getReceipt.bind(verifier), { eventId, wait: false }, auth);
            return found.receiptJson;
          } catch (error: unknown) {
            if (error instanceof UpstreamFailure && NO_RECEIPT_YET.includes(error.error.code)) return null;
            throw error;
          }
        });
        return {
          hops: response.hops.map((hop, i) => lineageHopJson(hop, receipts[i] ?? null)),
          truncated: response.truncated,
        };
      },
    ],
    [
      '/api/v1/witnesses',
      async (_body, auth): Promise<WitnessesResponseJson> => {
        const response = await call(verifier.getWitnessStatus.bind(verifier), {}, auth);
        return {
          checkpointSize: response.checkpointSize.toString(),
          witnesses: response.witnesses.map(witnessStatusJson),
        };
      },
    ],
    [
      '/api/v1/publications',
      async (body, auth): Promise<PublicationsResponseJson> => {
        const request: verifierV1.ListPublicationsRequest = {
          pageSize: optionalCount(body, 'pageSize', 1000),
          pageToken: optionalText(body, 'pageToken', 1024),
        };
        const response = await call(verifier.listPublications.bind(verifier), request, auth);
        return {
          publications: response.publications.map(publicationJson),
          nextPageToken: response.nextPageToken,
        };
      },
    ],
    [
      '/api/v1/round',
      async (body, auth): Promise<RoundResponseJson> => {
        const hasRound = body.round !== undefined && body.round !== null && body.round !== '';
        const hasAt = body.atUs !== undefined && body.atUs !== null && body.atUs !== '';
        if (hasRound === hasAt) {
          throw new ConsoleError('FIELD_INVALID', 'round or atUs must be given (exactly one of them)');
        }
        const request: verifierV1.GetRoundRequest = {
          selector: hasRound
            ? { $case: 'round', value: optionalBigCount(body, 'round', MAX_INT64) }
            : { $case: 'atUs', value: optionalBigCount(body, 'atUs', MAX_INT64) },
        };
        const response = await call(verifier.getRound.bind(verifier), request, auth);
        return roundJson(response);
      },
    ],
    [
      '/api/v1/alerts',
      async (body, auth): Promise<AlertsResponseJson> => {
        const filter: alerterV1.AlertFilter = {
          tenant: optionalText(body, 'tenant', 64),
          minSeverity: severityOf(optionalChoice(body, 'minSeverity', SEVERITIES)),
          category: categoryOf(optionalChoice(body, 'category', CATEGORIES)),
          rule: optionalText(body, 'rule', 256),
          status: statusOf(optionalChoice(body, 'status', STATUSES)),
        };
        const request = { filter, pageSize: optionalCount(body, 'pageSize', 1000), beforeSequence: 0n };
        const response = await call(alerter.listAlerts.bind(alerter), request, auth);
        return { alerts: response.alerts.map(alertJson) };
      },
    ],
    [
      '/api/v1/alerts/ack',
      async (body, auth): Promise<AckResponseJson> => {
        const request = {
          alertId: requiredText(body, 'alertId', 128),
          note: optionalText(body, 'note', 1024),
        };
        const response = await call(alerter.acknowledgeAlert.bind(alerter), request, auth);
        if (response.alert === undefined) throw new Error('the alerter answered without the alert');
        return { alert: alertJson(response.alert) };
      },
    ],
  ]);
}

/** GetReceipt refusals that mean "no receipt for this link yet" (not anchored, or not projected). */
const NO_RECEIPT_YET: readonly status[] = [status.NOT_FOUND, status.UNAVAILABLE];

/** `work` over `items` with at most `limit` running at once; results in the items' order. */
async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}
