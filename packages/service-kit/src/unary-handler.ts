import type { Metadata, ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import type { Logger } from './logger.js';

/** A gRPC status and its message, as a handler's error maps to it. */
export interface MappedStatus {
  readonly code: status;
  readonly details: string;
  /** Trailing metadata, e.g. `grpc-retry-pushback-ms` on UNAVAILABLE (see retryLater). */
  readonly metadata?: Metadata;
}

/**
 * Adapts promise-returning unary handlers to grpc-js callbacks: a resolved response is sent, a
 * rejection is mapped by `toStatus` (a service's closed set of error codes); INTERNAL errors are
 * logged (their details never reach the caller: `toStatus` gives a generic message for them).
 */
export function unaryHandler(toStatus: (error: unknown) => MappedStatus, log: Logger) {
  return <Req, Res>(work: (call: ServerUnaryCall<Req, Res>) => Promise<Res>) =>
    (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
      work(call).then(
        (response) => callback(null, response),
        (error: unknown) => {
          const mapped = toStatus(error);
          if (mapped.code === status.INTERNAL) log.error('call failed', { error: errorText(error) });
          callback(mapped);
        },
      );
    };
}

const errorText = (error: unknown): string =>
  error instanceof Error ? (error.stack ?? error.message) : String(error);
