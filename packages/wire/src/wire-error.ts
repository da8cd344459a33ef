import { CodedError } from '@msi/core';

/**
 * Why a message from a client cannot be narrowed into a domain value. `field` is the proto path of
 * the offending field (e.g. `events[3].attributes[0].key`), so the gRPC edge can name it.
 */
export type WireErrorCode = 'INVALID_ARGUMENT' | 'PERMISSION_DENIED';

export class WireError extends CodedError<WireErrorCode> {
  override readonly name = 'WireError';
  constructor(
    code: WireErrorCode,
    readonly field: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(code, message, options);
  }
}
