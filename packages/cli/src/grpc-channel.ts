import { readFile } from 'node:fs/promises';
import {
  ChannelCredentials,
  type ClientOptions,
  InterceptingCall,
  type Interceptor,
  type ServiceError,
  status,
} from '@grpc/grpc-js';
import { CliError } from './cli-error.js';
import type { ServerConnection } from './config.js';

/** The credentials and client options for a connection (reads the --ca file). */
export async function channelOf(
  connection: ServerConnection,
): Promise<{ credentials: ChannelCredentials; options: Partial<ClientOptions> }> {
  let ca: Buffer | null = null;
  if (connection.caFile !== undefined) {
    try {
      ca = await readFile(connection.caFile);
    } catch (error: unknown) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new CliError('INPUT', `cannot read --ca ${connection.caFile}: ${reason}`, { cause: error });
    }
  }
  return {
    credentials: connection.insecure ? ChannelCredentials.createInsecure() : ChannelCredentials.createSsl(ca),
    options: {
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
      ...(connection.apiKey === undefined ? {} : { interceptors: [bearer(connection.apiKey)] }),
    },
  };
}

/**
 * A gRPC failure as a CliError: the server's absence or fault is UNAVAILABLE (exit 3); what the
 * caller asked or presented (arguments, credentials, an unknown id) is INPUT (exit 2).
 */
export function serviceFailure(error: ServiceError, service: string, address: string): CliError {
  const detail = error.details === '' ? error.message : error.details;
  const input = (message: string) => new CliError('INPUT', message, { cause: error });
  const unavailable = (message: string) => new CliError('UNAVAILABLE', message, { cause: error });
  switch (error.code) {
    case status.INVALID_ARGUMENT:
    case status.OUT_OF_RANGE:
    case status.FAILED_PRECONDITION:
      return input(`${service} rejected the request: ${detail}`);
    case status.ABORTED:
      return input(`${service} did not make the change: ${detail}`);
    case status.NOT_FOUND:
      return input(`${service}: not found: ${detail}`);
    case status.UNAUTHENTICATED:
      return input(`${service} did not accept the credentials (--api-key?): ${detail}`);
    case status.PERMISSION_DENIED:
      return input(`${service} refused: ${detail}`);
    case status.UNAVAILABLE:
      return unavailable(`cannot reach ${service} at ${address} or it is unavailable: ${detail}`);
    case status.DEADLINE_EXCEEDED:
      return unavailable(`${service} at ${address} did not answer in time`);
    default:
      return unavailable(`${service} at ${address} failed: ${status[error.code]}: ${detail}`);
  }
}

/** Adds the API key to every call (works over plaintext too, unlike CallCredentials). */
function bearer(apiKey: string): Interceptor {
  return (callOptions, nextCall) =>
    new InterceptingCall(nextCall(callOptions), {
      start(metadata, listener, next) {
        metadata.set('authorization', `Bearer ${apiKey}`);
        next(metadata, listener);
      },
    });
}
