import { CodedError } from '@msi/core';

/**
 * Why a command stopped. A closed set: each maps to one exit status (see exitStatus), and commands
 * never match errors by message text.
 */
export type CliErrorCode =
  | 'USAGE' // bad flags or arguments
  | 'INPUT' // a file that cannot be read, is not JSON, or holds something that is not what was asked for
  | 'VERIFICATION_FAILED' // a proof or signature did not verify
  | 'UNAVAILABLE'; // the server could not be reached or did not answer

export class CliError extends CodedError<CliErrorCode> {
  override readonly name = 'CliError';
}

/** Exit statuses: 0 ok, 1 verification failed, 2 usage or input error, 3 server unavailable. */
export const EXIT = { ok: 0, failed: 1, usage: 2, unavailable: 3 } as const;

export function exitStatus(code: CliErrorCode): number {
  switch (code) {
    case 'VERIFICATION_FAILED':
      return EXIT.failed;
    case 'USAGE':
    case 'INPUT':
      return EXIT.usage;
    case 'UNAVAILABLE':
      return EXIT.unavailable;
    default: {
      const _: never = code;
      return _;
    }
  }
}
