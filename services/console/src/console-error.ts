import { CodedError } from '@msi/core';

/**
 * Why the gateway refused a request itself, before or instead of a gRPC call. A closed set, mapped to
 * HTTP status in one table (http-status.ts); an upstream gRPC failure keeps its own status name.
 */
export type ConsoleErrorCode =
  | 'ROUTE_NOT_FOUND' // no such path
  | 'METHOD_NOT_ALLOWED' // the API takes POST only
  | 'BODY_TOO_LARGE' // over the request body limit
  | 'BODY_NOT_JSON' // not a JSON object
  | 'FIELD_INVALID' // a field of the body is missing or malformed (the message names it)
  | 'ORIGIN_NOT_ALLOWED' // a cross-origin call while CORS is off or the origin is not listed
  | 'UPSTREAM_FAILED'; // the verifier or the alerter could not be asked

export class ConsoleError extends CodedError<ConsoleErrorCode> {
  override readonly name = 'ConsoleError';
}
