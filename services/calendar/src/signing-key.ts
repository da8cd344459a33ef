import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import {
  ED25519_SEED_SIZE,
  formatVerifierKey,
  generateNoteKey,
  NOTE_ALG_ED25519,
  type NoteSigner,
  parseSignerKey,
} from '@msi/core';
import { CalendarError } from './calendar-error.js';

/** The calendar's log key: the signer, its verifier key string, and whether it is a dev key. */
export interface LogKey {
  readonly signer: NoteSigner;
  readonly verifierKey: string;
  readonly dev: boolean;
}

/** Where the key comes from (see Config): a signer key string, or a dev key file. */
export interface KeySource {
  readonly signingKey: string | undefined;
  readonly devKeyFile: string | undefined;
  readonly devKeyName: string;
}

/**
 * The log key: parsed from the configured signer key string (production), or — only in dev mode —
 * read from the dev key file, generated there (random seed, mode 0600) when the file does not exist.
 * The key must be Ed25519 (0x01).
 */
export async function loadLogKey(source: KeySource): Promise<LogKey> {
  if (source.signingKey !== undefined) return logKey(parseSignerKey(source.signingKey), false);
  if (source.devKeyFile === undefined) {
    throw new CalendarError('KEY_INVALID', 'no signing key configured and no dev key file');
  }
  const generated = generateNoteKey(source.devKeyName, randomBytes(ED25519_SEED_SIZE));
  try {
    await writeFile(source.devKeyFile, `${generated.signerKey}\n`, { flag: 'wx', mode: 0o600 });
    return logKey(generated.signer, true);
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return logKey(parseSignerKey((await readFile(source.devKeyFile, 'utf8')).trim()), true);
}

function logKey(signer: NoteSigner, dev: boolean): LogKey {
  if (signer.algorithm !== NOTE_ALG_ED25519) {
    throw new CalendarError('KEY_INVALID', `the log key ${signer.name} is not an Ed25519 (0x01) key`);
  }
  return { signer, verifierKey: formatVerifierKey(signer), dev };
}
