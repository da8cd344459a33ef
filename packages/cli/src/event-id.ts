import { parseUuidV7 } from '@msi/core';
import { CliError } from './cli-error.js';

/** An event id from the command line: a UUIDv7 in text form. Throws CliError USAGE. */
export function parseEventId(text: string): Uint8Array {
  try {
    return parseUuidV7(text);
  } catch (error: unknown) {
    throw new CliError(
      'USAGE',
      `"${text.slice(0, 80)}" is not an event id (a UUIDv7 like 0192f3a0-...-7...)`,
      {
        cause: error,
      },
    );
  }
}
