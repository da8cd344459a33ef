import { status } from '@grpc/grpc-js';
import { CodedError } from '@msi/core';
import { isDatabaseUnavailable } from '@msi/postgres';
import { type MappedStatus, retryLater } from '@msi/service-kit';

/** Why an alerter call is refused (a closed set, mapped to gRPC status at the edge). */
export type AlerterErrorCode =
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'INVALID_ARGUMENT'
  | 'OUT_OF_RANGE'
  | 'NOT_FOUND';

export class AlerterError extends CodedError<AlerterErrorCode> {
  override readonly name = 'AlerterError';
}

const STATUS: Record<AlerterErrorCode, status> = {
  UNAUTHENTICATED: status.UNAUTHENTICATED,
  PERMISSION_DENIED: status.PERMISSION_DENIED,
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  OUT_OF_RANGE: status.OUT_OF_RANGE,
  NOT_FOUND: status.NOT_FOUND,
};

/**
 * The gRPC status of an error: AlerterError by its code, the database being away UNAVAILABLE with a
 * retry hint, anything else INTERNAL (details hidden).
 */
export function toGrpcStatus(error: unknown): MappedStatus {
  if (error instanceof AlerterError) return { code: STATUS[error.code], details: error.message };
  if (isDatabaseUnavailable(error)) return retryLater("the alerter's database is unavailable");
  return { code: status.INTERNAL, details: 'internal error' };
}
