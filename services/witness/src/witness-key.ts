import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import {
  ED25519_SEED_SIZE,
  generateNoteKey,
  NOTE_ALG_COSIGNATURE_V1,
  type NoteSigner,
  parseSignerKey,
} from '@msi/core';
import { WitnessError } from './witness-error.js';

/** Where the witness key comes from (see Config). */
export interface WitnessKeySource {
  readonly key: string | undefined;
  readonly devKeyFile: string | undefined;
  readonly devKeyName: string;
}

/**
 * The witness's cosignature (0x04) key: parsed from the configured signer key string, or — dev mode
 * only — read from the dev key file, generated there (random seed, mode 0600) if it does not exist.
 */
export async function loadWitnessKey(
  source: WitnessKeySource,
): Promise<{ signer: NoteSigner; dev: boolean }> {
  if (source.key !== undefined) return { signer: checked(parseSignerKey(source.key)), dev: false };
  if (source.devKeyFile === undefined) throw new WitnessError('CONFIG_INVALID', 'no witness key configured');
  const generated = generateNoteKey(
    source.devKeyName,
    randomBytes(ED25519_SEED_SIZE),
    NOTE_ALG_COSIGNATURE_V1,
  );
  try {
    await writeFile(source.devKeyFile, `${generated.signerKey}\n`, { flag: 'wx', mode: 0o600 });
    return { signer: generated.signer, dev: true };
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return { signer: checked(parseSignerKey((await readFile(source.devKeyFile, 'utf8')).trim())), dev: true };
}

function checked(signer: NoteSigner): NoteSigner {
  if (signer.algorithm !== NOTE_ALG_COSIGNATURE_V1) {
    throw new WitnessError('CONFIG_INVALID', `witness key ${signer.name} is not a cosignature (0x04) key`);
  }
  return signer;
}
