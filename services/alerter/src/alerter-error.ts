import { CodedError } from '@msi/core';
import { API_REFUSALS, type ApiRefusalCode, errorStatus } from '@msi/service-kit';

/**
 * Why an alerter call is refused (a closed set, mapped to gRPC status at the edge): the refusals
 * every MSI API shares, UNAUTHENTICATED, PERMISSION_DENIED, INVALID_ARGUMENT, OUT_OF_RANGE, NOT_FOUND.
 */
export type AlerterErrorCode = ApiRefusalCode;

export class AlerterError extends CodedError<AlerterErrorCode> {
  override readonly name = 'AlerterError';
}

/**
 * The gRPC status of an error: AlerterError by its table (API_REFUSALS), the database being away
 * UNAVAILABLE with a retry hint, anything else INTERNAL (details hidden).
 */
export const toGrpcStatus = errorStatus({
  errors: [AlerterError],
  table: API_REFUSALS,
  database: "the alerter's database",
});
