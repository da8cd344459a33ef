import {
  NOTE_ALG_COSIGNATURE_V1,
  NOTE_ALG_ED25519,
  type NoteVerifierKey,
  parseVerifierKey,
  type ReceiptTrust,
} from '@msi/core';
import { CliError } from './cli-error.js';

/** The trust flags as given on the command line (strings, unchecked). */
export interface TrustFlags {
  readonly keys: readonly string[];
  readonly witnesses: readonly string[];
  readonly quorum?: string | undefined;
  readonly strict: boolean;
}

/** The contents of a trust file: `{"logKeys": [...], "witnessKeys": [...], "quorum": N}`. */
export interface TrustFile {
  readonly logKeys: readonly string[];
  readonly witnessKeys: readonly string[];
  readonly quorum?: number;
}

/**
 * Checks a parsed trust file (hostile input: a file an auditor was handed). Throws CliError INPUT
 * naming the member that is wrong.
 */
export function parseTrustFile(value: unknown, path: string): TrustFile {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CliError('INPUT', `trust file ${path} must hold a JSON object`);
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!['logKeys', 'witnessKeys', 'quorum'].includes(key)) {
      throw new CliError('INPUT', `trust file ${path}: unknown member "${key}"`);
    }
  }
  const strings = (member: string): string[] => {
    const list = record[member] ?? [];
    if (!Array.isArray(list) || !list.every((item) => typeof item === 'string')) {
      throw new CliError('INPUT', `trust file ${path}: "${member}" must be an array of key strings`);
    }
    return list as string[];
  };
  const quorum = record.quorum;
  if (quorum !== undefined && (typeof quorum !== 'number' || !Number.isSafeInteger(quorum) || quorum < 0)) {
    throw new CliError('INPUT', `trust file ${path}: "quorum" must be a non-negative integer`);
  }
  return {
    logKeys: strings('logKeys'),
    witnessKeys: strings('witnessKeys'),
    ...(quorum === undefined ? {} : { quorum }),
  };
}

/**
 * The verifier's trust from the command line and an optional trust file: keys come only from
 * here, never from the receipt. A --quorum flag overrides the file's. Throws CliError USAGE for a
 * malformed key, a key of the wrong kind, or no log key at all.
 */
export function buildTrust(flags: TrustFlags, file?: TrustFile): ReceiptTrust {
  const logKeys = [...(file?.logKeys ?? []), ...flags.keys].map((text) =>
    verifierKey(text, NOTE_ALG_ED25519, '--key'),
  );
  const witnessKeys = [...(file?.witnessKeys ?? []), ...flags.witnesses].map((text) =>
    verifierKey(text, NOTE_ALG_COSIGNATURE_V1, '--witness'),
  );
  if (logKeys.length === 0) {
    throw new CliError('USAGE', 'no trusted log key: give --key VERIFIER_KEY or --trust FILE with "logKeys"');
  }
  const quorum = flags.quorum === undefined ? (file?.quorum ?? 0) : parseCount(flags.quorum, '--quorum');
  if (quorum > witnessKeys.length) {
    throw new CliError(
      'USAGE',
      `--quorum ${quorum} can never be met with ${witnessKeys.length} trusted witness key(s)`,
    );
  }
  return { logKeys, witnessKeys, quorum, strict: flags.strict };
}

function verifierKey(text: string, algorithm: number, flag: string): NoteVerifierKey {
  let key: NoteVerifierKey;
  try {
    key = parseVerifierKey(text);
  } catch (error: unknown) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CliError('USAGE', `${flag} ${abbreviate(text)} is not a verifier key: ${reason}`, {
      cause: error,
    });
  }
  if (key.algorithm !== algorithm) {
    const want = algorithm === NOTE_ALG_ED25519 ? 'a log key (Ed25519, 0x01)' : 'a witness key (0x04)';
    throw new CliError('USAGE', `${flag} ${key.name}: not ${want}`);
  }
  return key;
}

/** A non-negative decimal integer from a flag. Throws CliError USAGE. */
export function parseCount(text: string, flag: string): number {
  const value = /^(0|[1-9][0-9]{0,8})$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value)) {
    throw new CliError('USAGE', `${flag} must be a non-negative integer, got "${abbreviate(text)}"`);
  }
  return value;
}

function abbreviate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
