import { status } from '@grpc/grpc-js';
import type { ConsoleErrorCode } from './console-error.js';

/** The one table from a refusal to its HTTP status: the gateway's own codes, then gRPC's. */
const CONSOLE_STATUS: Readonly<Record<ConsoleErrorCode, number>> = {
  ROUTE_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  BODY_TOO_LARGE: 413,
  BODY_NOT_JSON: 400,
  FIELD_INVALID: 400,
  ORIGIN_NOT_ALLOWED: 403,
  UPSTREAM_FAILED: 502,
};

const GRPC_STATUS: Readonly<Partial<Record<status, number>>> = {
  [status.INVALID_ARGUMENT]: 400,
  [status.OUT_OF_RANGE]: 400,
  [status.FAILED_PRECONDITION]: 400,
  [status.UNAUTHENTICATED]: 401,
  [status.PERMISSION_DENIED]: 403,
  [status.NOT_FOUND]: 404,
  [status.ALREADY_EXISTS]: 409,
  [status.RESOURCE_EXHAUSTED]: 429,
  [status.UNAVAILABLE]: 503,
  [status.DEADLINE_EXCEEDED]: 504,
  [status.DATA_LOSS]: 500,
};

export function httpStatusOfConsole(code: ConsoleErrorCode): number {
  return CONSOLE_STATUS[code];
}

/** A gRPC status as HTTP; what is not listed (INTERNAL, UNKNOWN…) is a bad gateway. */
export function httpStatusOfGrpc(code: status): number {
  return GRPC_STATUS[code] ?? 502;
}
