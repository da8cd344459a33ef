import { type Imprint, parseImprintText } from '@msi/core';
import { CliError } from './cli-error.js';

/** A data imprint argument like `sha256:<hex>`, or USAGE. */
export function imprintArgument(text: string): Imprint {
  try {
    return parseImprintText(text);
  } catch (error: unknown) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CliError('USAGE', `"${text.slice(0, 80)}" is not a data imprint like sha256:<hex>: ${reason}`, {
      cause: error,
    });
  }
}

/** An ISO 8601 time flag as µs since the epoch (0n when absent), or USAGE naming the flag. */
export function timeFlag(text: string | undefined, flag: string): bigint {
  if (text === undefined) return 0n;
  const ms = Date.parse(text);
  if (!Number.isFinite(ms) || !/^\d{4}-\d{2}-\d{2}/.test(text)) {
    throw new CliError('USAGE', `${flag} "${text.slice(0, 80)}" is not an ISO 8601 time`);
  }
  return BigInt(ms) * 1000n;
}

/** A whole number flag in [1, max] (undefined when absent: the server's default), or USAGE. */
export function countFlag(text: string | undefined, flag: string, max: number): number | undefined {
  if (text === undefined) return undefined;
  const n = /^[1-9][0-9]{0,9}$/.test(text) ? Number(text) : Number.NaN;
  if (!(n >= 1 && n <= max))
    throw new CliError('USAGE', `${flag} "${text.slice(0, 80)}" is not a whole number from 1 to ${max}`);
  return n;
}
