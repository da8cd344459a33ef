import type { ReceiptTrust } from '@msi/core';
import type { CliIo } from './cli-io.js';
import { booleanFlag, type ParsedFlags, stringFlag, stringsFlag } from './parse-flags.js';
import { parseJsonText, readText } from './read-input.js';
import { buildTrust, parseTrustFile } from './trust-options.js';

/** The flags that say whom a verifier trusts (shared by verify and extend). */
export const TRUST_FLAGS = {
  key: { type: 'string', multiple: true },
  witness: { type: 'string', multiple: true },
  quorum: { type: 'string' },
  trust: { type: 'string' },
  strict: { type: 'boolean' },
} as const;

export const TRUST_HELP = `  --key VERIFIER_KEY   a trusted log key <origin>+<id>+<base64> (repeatable)
  --witness KEY        a trusted witness key (0x04) (repeatable)
  --quorum N           how many trusted witnesses must have cosigned (default 0)
  --trust FILE         a trust file {"logKeys": [...], "witnessKeys": [...], "quorum": N}
  --strict             fail on signature lines of keys not trusted (UNKNOWN_SIGNATURE)`;

/** The caller's trust from --key/--witness/--quorum/--strict and the optional --trust file. */
export async function loadTrust(flags: ParsedFlags, io: CliIo): Promise<ReceiptTrust> {
  const path = stringFlag(flags, 'trust');
  const file =
    path === undefined
      ? undefined
      : parseTrustFile(parseJsonText(await readText(path, io.stdin, 'trust file'), path, 'trust file'), path);
  return buildTrust(
    {
      keys: stringsFlag(flags, 'key'),
      witnesses: stringsFlag(flags, 'witness'),
      quorum: stringFlag(flags, 'quorum'),
      strict: booleanFlag(flags, 'strict'),
    },
    file,
  );
}

/** Whether any trust flag was given (with --publication, keys are optional). */
export function givesTrust(flags: ParsedFlags): boolean {
  return Object.keys(TRUST_FLAGS).some((name) => flags.values[name] !== undefined);
}
