import { Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { alerterV1 } from '@msi/proto';
import { CliError } from './cli-error.js';
import type { ServerConnection } from './config.js';
import { channelOf, serviceFailure } from './grpc-channel.js';

/** A connected alerter client; every call maps gRPC failures to CliError. */
export interface AlerterSession {
  listAlerts(request: alerterV1.ListAlertsRequest): Promise<alerterV1.ListAlertsResponse>;
  /**
   * Streams WatchAlerts to `onAlert` until `stop` aborts (then resolves). Rejects with a CliError
   * when the alerter fails the stream or ends it.
   */
  watchAlerts(
    request: alerterV1.WatchAlertsRequest,
    onAlert: (alert: alerterV1.Alert) => void,
    stop: AbortSignal,
  ): Promise<void>;
  acknowledgeAlert(alertId: string, note: string): Promise<alerterV1.AcknowledgeAlertResponse>;
  close(): void;
}

const CALL_TIMEOUT_MS = 30_000;

export async function openAlerterSession(connection: ServerConnection): Promise<AlerterSession> {
  const { credentials, options } = await channelOf(connection);
  const client = new alerterV1.AlerterServiceClient(connection.address, credentials, options);
  const failure = (error: ServiceError) =>
    withTlsHint(serviceFailure(error, 'the alerter', connection.address), error, connection);
  const unary = <T>(
    start: (options: { deadline: Date }, done: (error: ServiceError | null, response: T) => void) => void,
  ) =>
    new Promise<T>((resolve, reject) => {
      start({ deadline: new Date(Date.now() + CALL_TIMEOUT_MS) }, (error, response) => {
        if (error !== null) reject(failure(error));
        else resolve(response);
      });
    });
  return {
    listAlerts: (request) => unary((o, done) => client.listAlerts(request, new Metadata(), o, done)),
    acknowledgeAlert: (alertId, note) =>
      unary((o, done) => client.acknowledgeAlert({ alertId, note }, new Metadata(), o, done)),
    watchAlerts: (request, onAlert, stop) =>
      new Promise<void>((resolve, reject) => {
        if (stop.aborted) {
          resolve();
          return;
        }
        const call = client.watchAlerts(request, new Metadata());
        const onAbort = () => call.cancel();
        stop.addEventListener('abort', onAbort, { once: true });
        const settle = (error: CliError | undefined) => {
          stop.removeEventListener('abort', onAbort);
          if (error === undefined) resolve();
          else reject(error);
        };
        call.on('data', (response: alerterV1.WatchAlertsResponse) => {
          if (response.alert !== undefined) onAlert(response.alert);
        });
        call.on('error', (error: ServiceError) => {
          settle(stop.aborted && error.code === status.CANCELLED ? undefined : failure(error));
        });
        call.on('end', () => {
          settle(
            stop.aborted
              ? undefined
              : new CliError('UNAVAILABLE', `the alerter at ${connection.address} ended the alert feed`),
          );
        });
      }),
    close: () => client.close(),
  };
}

/** A TLS connection refused by a plaintext development alerter looks unavailable: say so. */
function withTlsHint(mapped: CliError, error: ServiceError, connection: ServerConnection): CliError {
  if (mapped.code !== 'UNAVAILABLE' || connection.insecure || error.code !== status.UNAVAILABLE)
    return mapped;
  return new CliError(
    'UNAVAILABLE',
    `${mapped.message} (a development stack serves plaintext: add --insecure)`,
    { cause: error },
  );
}
