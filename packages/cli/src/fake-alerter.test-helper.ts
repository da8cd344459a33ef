// TEST-ONLY: an AlerterService on a real gRPC server, answering from a list of alerts. It stands in
// for services/alerter so the CLI's client side (requests, paging, the feed, errors) is tested alone;
// the real alerter is exercised by integration-tests/src/demo.int.test.ts.
import {
  type Server as GrpcServer,
  Server,
  ServerCredentials,
  type ServiceError,
  status,
} from '@grpc/grpc-js';
import { alerterV1 } from '@msi/proto';

export interface FakeAlerter {
  readonly address: string;
  /** The requests received, in order, with the API key of each. */
  readonly calls: { readonly method: string; readonly request: unknown; readonly authorization: string }[];
  /** Raises an alert: stored (next sequence) and sent to every open WatchAlerts call. */
  raise(alert: Partial<alerterV1.Alert>): alerterV1.Alert;
  /** Resolves once this many WatchAlerts calls are open. */
  watching(count: number): Promise<void>;
  stop(): Promise<void>;
}

const grpcError = (code: status, details: string): ServiceError =>
  Object.assign(new Error(details), { code, details, metadata: undefined as never });

/**
 * Serves `initial` alerts (their sequences 1, 2, …). ListAlerts filters by min severity only and pages
 * newest first; AcknowledgeAlert needs the key `operator`; the key `nobody` is refused everywhere.
 */
export async function startFakeAlerter(initial: readonly Partial<alerterV1.Alert>[]): Promise<FakeAlerter> {
  const stored: alerterV1.Alert[] = [];
  const calls: FakeAlerter['calls'] = [];
  const watchers = new Set<(alert: alerterV1.Alert) => void>();
  let watchWaiters: { count: number; resolve: () => void }[] = [];
  const raise = (partial: Partial<alerterV1.Alert>) => {
    const alert = alerterV1.Alert.fromPartial({
      alertId: partial.alertId ?? String(stored.length + 1).padStart(64, 'a'),
      rule: 'reader-not-allowed',
      severity: alerterV1.Severity.SEVERITY_HIGH,
      status: alerterV1.Status.STATUS_OPEN,
      occurrences: 1n,
      ...partial,
      sequence: BigInt(stored.length + 1),
    });
    stored.push(alert);
    for (const send of watchers) send(alert);
    return alert;
  };
  for (const alert of initial) raise(alert);
  const authorize = (method: string, request: unknown, metadata: { get(key: string): unknown[] }) => {
    const authorization = String(metadata.get('authorization')[0] ?? '');
    calls.push({ method, request, authorization });
    return authorization === 'Bearer nobody'
      ? grpcError(status.UNAUTHENTICATED, 'a valid API key is required')
      : undefined;
  };
  const matches = (filter: alerterV1.AlertFilter | undefined, alert: alerterV1.Alert) =>
    (filter?.minSeverity ?? 0) <= alert.severity;
  const server: GrpcServer = new Server();
  const implementation: alerterV1.AlerterServiceServer = {
    listAlerts(call, callback) {
      const refused = authorize('listAlerts', call.request, call.metadata);
      if (refused !== undefined) return callback(refused, null);
      const { filter, pageSize, beforeSequence } = call.request;
      const size = pageSize === 0 ? 100 : pageSize;
      const newest = stored
        .filter((a) => matches(filter, a) && (beforeSequence === 0n || a.sequence < beforeSequence))
        .reverse();
      const page = newest.slice(0, size);
      callback(null, {
        alerts: page,
        nextBefore: newest.length > size ? (page[page.length - 1]?.sequence ?? 0n) : 0n,
      });
    },
    watchAlerts(call) {
      const refused = authorize('watchAlerts', call.request, call.metadata);
      if (refused !== undefined) {
        call.destroy(refused);
        return;
      }
      const { filter, afterSequence } = call.request;
      const send = (alert: alerterV1.Alert) => {
        if (matches(filter, alert)) call.write({ alert });
      };
      for (const alert of stored) if (alert.sequence > afterSequence) send(alert);
      watchers.add(send);
      call.on('cancelled', () => watchers.delete(send));
      watchWaiters = watchWaiters.filter((w) => {
        if (watchers.size < w.count) return true;
        w.resolve();
        return false;
      });
    },
    acknowledgeAlert(call, callback) {
      const refused = authorize('acknowledgeAlert', call.request, call.metadata);
      if (refused !== undefined) return callback(refused, null);
      if (String(call.metadata.get('authorization')[0]) !== 'Bearer operator') {
        return callback(
          grpcError(status.PERMISSION_DENIED, 'acknowledging alerts needs the operator role'),
          null,
        );
      }
      const index = stored.findIndex((a) => a.alertId === call.request.alertId);
      const found = stored[index];
      if (found === undefined)
        return callback(grpcError(status.NOT_FOUND, `alert_id: no alert ${call.request.alertId}`), null);
      const acknowledged = {
        ...found,
        status: alerterV1.Status.STATUS_ACKNOWLEDGED,
        acknowledgedBy: 'dev-operator',
        acknowledgedAtUs: 1_764_000_000_000_000n,
        acknowledgeNote: call.request.note,
      };
      stored[index] = acknowledged;
      callback(null, { alert: acknowledged });
    },
    getPolicy(_call, callback) {
      callback(grpcError(status.UNIMPLEMENTED, 'not here'), null);
    },
  };
  server.addService(alerterV1.AlerterServiceService, implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error === null ? resolve(bound) : reject(error),
    ),
  );
  return {
    address: `127.0.0.1:${port}`,
    calls,
    raise,
    watching: (count) =>
      watchers.size >= count
        ? Promise.resolve()
        : new Promise((resolve) => {
            watchWaiters.push({ count, resolve });
          }),
    stop: async () => {
      server.forceShutdown();
    },
  };
}
