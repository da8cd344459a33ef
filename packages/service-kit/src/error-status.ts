import { Metadata, status } from '@grpc/grpc-js';
import { isDatabaseUnavailable } from '@msi/postgres';
import type { MappedStatus } from './unary-handler.js';

/** The refusals every MSI API shares, each named as its gRPC status. */
export type ApiRefusalCode =
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'INVALID_ARGUMENT'
  | 'OUT_OF_RANGE'
  | 'NOT_FOUND';

/** Their part of a service's table (the verifier's and the alerter's start from it). */
export const API_REFUSALS: Readonly<Record<ApiRefusalCode, status>> = {
  UNAUTHENTICATED: status.UNAUTHENTICATED,
  PERMISSION_DENIED: status.PERMISSION_DENIED,
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  OUT_OF_RANGE: status.OUT_OF_RANGE,
  NOT_FOUND: status.NOT_FOUND,
};

/** An error class whose instances carry a code of the closed union `Code` (core CodedError's shape). */
export type CodedErrorClass<Code extends string> = abstract new (
  ...args: never[]
) => { readonly code: Code; readonly message: string };

export interface ErrorStatusOptions<Code extends string> {
  /** The service's error classes (their codes together are `Code`). */
  readonly errors: readonly CodedErrorClass<Code>[];
  /** THE table: every code of the service and its gRPC status. */
  readonly table: Readonly<Record<Code, status>>;
  /** What is away when the database is, e.g. "the verifier's database". */
  readonly database?: string;
  /** The status details of a coded error (default its message). */
  readonly details?: (error: { readonly code: Code; readonly message: string }) => string;
  /** The retry advice on UNAVAILABLE answers, ms (default 1000). */
  readonly retryAfterMs?: number;
}

/**
 * The edge of a service: maps any error a handler throws to its gRPC status — a coded error by the
 * service's one table (UNAVAILABLE answers carrying `grpc-retry-pushback-ms`), the database being
 * away UNAVAILABLE with retry advice, anything else INTERNAL with its details hidden.
 */
export function errorStatus<Code extends string>(
  options: ErrorStatusOptions<Code>,
): (error: unknown) => MappedStatus {
  const afterMs = options.retryAfterMs ?? 1000;
  return (error) => {
    for (const errorClass of options.errors) {
      if (!(error instanceof errorClass)) continue;
      const code = options.table[error.code];
      const details = options.details?.(error) ?? error.message;
      return code === status.UNAVAILABLE ? { code, details, metadata: pushback(afterMs) } : { code, details };
    }
    if (options.database !== undefined && isDatabaseUnavailable(error))
      return retryLater(`${options.database} is unavailable`, afterMs);
    return { code: status.INTERNAL, details: 'internal error' };
  };
}

/**
 * UNAVAILABLE for a dependency that is away for now (the database restarting, the bus down): the
 * details say to retry, and `grpc-retry-pushback-ms` tells gRPC clients with a retry policy when.
 */
export function retryLater(details: string, afterMs = 1000): MappedStatus {
  return {
    code: status.UNAVAILABLE,
    details: `${details}; retry in ${afterMs / 1000} s`,
    metadata: pushback(afterMs),
  };
}

function pushback(afterMs: number): Metadata {
  const metadata = new Metadata();
  metadata.set('grpc-retry-pushback-ms', String(afterMs));
  return metadata;
}
