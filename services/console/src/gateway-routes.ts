import type { alerterV1 } from '@msi/proto';
import type {
  AckResponseJson,
  AlertsResponseJson,
  CheckpointResponseJson,
  HistoryResponseJson,
  ReceiptResponseJson,
} from './api-types.js';
import {
  alertJson,
  CATEGORIES,
  categoryOf,
  historyEntryJson,
  SEVERITIES,
  STATUSES,
  severityOf,
  statusOf,
} from './json-of-proto.js';
import {
  imprintField,
  type JsonObject,
  optionalChoice,
  optionalCount,
  optionalFlag,
  optionalText,
  requiredText,
  uuidField,
} from './request-fields.js';
import { callUpstream, type Upstreams } from './upstream.js';

/** One POST route of the HTTP API: the JSON body in, the JSON answer out. */
export type GatewayRoute = (body: JsonObject, authorization: string | undefined) => Promise<unknown>;

/** How long one upstream call may take. */
const CALL_TIMEOUT_MS = 30_000;

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
