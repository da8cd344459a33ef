import { status } from '@grpc/grpc-js';
import { CodedError } from '@msi/core';
import { errorStatus } from '@msi/service-kit';

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

/** THE table: each code's gRPC status. */
const STATUS: Readonly<Record<AlerterErrorCode, status>> = {
  UNAUTHENTICATED: status.UNAUTHENTICATED,
  PERMISSION_DENIED: status.PERMISSION_DENIED,
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  OUT_OF_RANGE: status.OUT_OF_RANGE,
  NOT_FOUND: status.NOT_FOUND,
};

/**
 * The gRPC status of an error: AlerterError by the table, the database being away UNAVAILABLE with a
 * retry hint, anything else INTERNAL (details hidden).
 */
export const toGrpcStatus = errorStatus({
  errors: [AlerterError],
  table: STATUS,
  database: "the alerter's database",
});
