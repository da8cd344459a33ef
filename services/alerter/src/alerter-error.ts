import { status } from '@grpc/grpc-js';

/** Why an alerter call is refused (a closed set, mapped to gRPC status at the edge). */
export type AlerterErrorCode = 'UNAUTHENTICATED' | 'PERMISSION_DENIED' | 'INVALID_ARGUMENT' | 'NOT_FOUND';

export class AlerterError extends Error {
  constructor(
    readonly code: AlerterErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AlerterError';
  }
}

const STATUS: Record<AlerterErrorCode, status> = {
  UNAUTHENTICATED: status.UNAUTHENTICATED,
  PERMISSION_DENIED: status.PERMISSION_DENIED,
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  NOT_FOUND: status.NOT_FOUND,
};

/** The gRPC status of an error: AlerterError by its code, anything else INTERNAL (details hidden). */
export function toGrpcStatus(error: unknown): { code: status; details: string } {
  if (error instanceof AlerterError) return { code: STATUS[error.code], details: error.message };
  return { code: status.INTERNAL, details: 'internal error' };
}
