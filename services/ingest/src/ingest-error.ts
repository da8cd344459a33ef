import { status } from '@grpc/grpc-js';
import { CodedError } from '@msi/core';
import { errorStatus, type MappedStatus } from '@msi/service-kit';

/**
 * Why a call was refused as a whole. `field` names the offending field of the request when there is
 * one (e.g. `events[3].attributes[0].key`), so the client can fix exactly that.
 */
export type IngestErrorCode =
  | 'INVALID_ARGUMENT'
  | 'PERMISSION_DENIED'
  | 'UNAUTHENTICATED'
  | 'RESOURCE_EXHAUSTED'
  | 'UNAVAILABLE'
  | 'FAILED_PRECONDITION'
  | 'ABORTED'
  | 'INTERNAL';

export class IngestError extends CodedError<IngestErrorCode> {
  override readonly name = 'IngestError';
  constructor(
    code: IngestErrorCode,
    readonly field: string | undefined,
    message: string,
    options?: ErrorOptions,
  ) {
    super(code, message, options);
  }
}

/** THE table: each code's gRPC status. */
const STATUS: Readonly<Record<IngestErrorCode, status>> = {
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  PERMISSION_DENIED: status.PERMISSION_DENIED,
  UNAUTHENTICATED: status.UNAUTHENTICATED,
  RESOURCE_EXHAUSTED: status.RESOURCE_EXHAUSTED,
  UNAVAILABLE: status.UNAVAILABLE,
  FAILED_PRECONDITION: status.FAILED_PRECONDITION,
  ABORTED: status.ABORTED,
  INTERNAL: status.INTERNAL,
};

/** The status details text: `<field>: <message>` when a field is named. */
export function statusDetails(error: IngestError): string {
  return error.field === undefined || error.message.startsWith(`${error.field}:`)
    ? error.message
    : `${error.field}: ${error.message}`;
}

/**
 * The gRPC status a refusal is answered with: its code by the table, `<field>: <message>`, and for
 * UNAVAILABLE (NATS away, JetStream not confirming) the trailer `grpc-retry-pushback-ms` telling
 * gRPC clients with a retry policy when to try again.
 */
export const statusOf: (error: IngestError) => MappedStatus = errorStatus({
  errors: [IngestError],
  table: STATUS,
  details: (error) => statusDetails(error as IngestError),
});
