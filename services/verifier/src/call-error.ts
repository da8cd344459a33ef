import type { status } from '@grpc/grpc-js';

/** A refusal of a call with its gRPC status; the message starts with the field it is about. */
export class CallError extends Error {
  override readonly name = 'CallError';
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
  }
}
