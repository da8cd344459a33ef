import { NOTE_ALG_COSIGNATURE_V1, NoteError, type NoteVerifierKey, parseVerifierKey } from '@msi/core';

/** A witness the calendar submits its checkpoints to. */
export interface WitnessTarget {
  /** The witness's key name: how it is named in `witness_state`, `cosignatures` and logs. */
  readonly name: string;
  /** Its submission prefix: the calendar POSTs `<url>/add-checkpoint`. */
  readonly url: string;
  /** Its cosignature (0x04) verifier key. */
  readonly key: NoteVerifierKey;
}

/**
 * Parses `MSI_CALENDAR_WITNESSES`: comma-separated `<url>=<witness verifier key>` pairs (white space
 * around items ignored; empty = none). Returns the witnesses, or the problems found (each naming the
 * item): a URL that is not http(s), a key that is not a 0x04 verifier key, a name given twice. The key
 * is split off at the last `=` (a 0x04 verifier key's base64 has no padding).
 */
export function parseWitnessList(text: string): {
  readonly witnesses: WitnessTarget[];
  readonly problems: string[];
} {
  const witnesses: WitnessTarget[] = [];
  const problems: string[] = [];
  const items = text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
  for (const [i, item] of items.entries()) {
    const where = `witness ${i + 1}`;
    const split = item.lastIndexOf('=');
    if (split <= 0) {
      problems.push(`${where}: want <url>=<verifier key>`);
      continue;
    }
    const url = item.slice(0, split).replace(/\/+$/, '');
    const key = parseKey(item.slice(split + 1));
    if (!isHttpUrl(url)) problems.push(`${where}: ${JSON.stringify(url)} is not an http(s) URL`);
    if (typeof key === 'string') problems.push(`${where}: ${key}`);
    else if (witnesses.some((w) => w.name === key.name)) {
      problems.push(`${where}: the witness name ${key.name} is given twice`);
    } else if (isHttpUrl(url)) witnesses.push({ name: key.name, url, key });
  }
  return { witnesses, problems };
}

function parseKey(text: string): NoteVerifierKey | string {
  try {
    const key = parseVerifierKey(text);
    if (key.algorithm !== NOTE_ALG_COSIGNATURE_V1) return 'the key is not a witness (0x04) verifier key';
    return key;
  } catch (error: unknown) {
    if (error instanceof NoteError) return `the key is not a valid verifier key (${error.code})`;
    throw error;
  }
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.search === '' && url.hash === '';
  } catch {
    return false;
  }
}
