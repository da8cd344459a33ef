import { status } from '@grpc/grpc-js';
import { CodedError } from '@msi/core';
import { API_REFUSALS, type ApiRefusalCode, errorStatus } from '@msi/service-kit';

/**
 * Why a verifier call is refused or a receipt cannot be served. A closed set; the message starts with
 * the request field it is about, when there is one.
 */
export type VerifierErrorCode =
  // UNAUTHENTICATED (no valid API key), PERMISSION_DENIED (not an auditor), INVALID_ARGUMENT (a
  // field malformed or over a limit), OUT_OF_RANGE (beyond the field or the projection), NOT_FOUND
  // (unknown, or not visible to the caller's tenant)
  | ApiRefusalCode
  | 'NOT_ANCHORED' // known, its round (or a checkpoint of it) not applied yet
  | 'TAMPERED'; // the projection's rows do not prove what they claim (reported as an integrity failure)

/** The one error class of the verifier. */
export class VerifierError extends CodedError<VerifierErrorCode> {
  override readonly name = 'VerifierError';
}

/** THE table: each code's gRPC status. */
const STATUS: Readonly<Record<VerifierErrorCode, status>> = {
  ...API_REFUSALS,
  NOT_ANCHORED: status.UNAVAILABLE,
  TAMPERED: status.DATA_LOSS,
};

/**
 * The gRPC status of anything a handler throws: a VerifierError by the table, the database being
 * away UNAVAILABLE with retry advice, anything else INTERNAL (details hidden).
 */
export const toStatus = errorStatus({
  errors: [VerifierError],
  table: STATUS,
  database: "the verifier's database",
});
