import {
  NOTE_ALG_COSIGNATURE_V1,
  NOTE_ALG_ED25519,
  type NoteVerifierKey,
  parseVerifierKey,
  type ReceiptTrust,
} from '@msi/core';

/** The keys an auditor pinned, as read from pasted text or a file: the trust, or what is wrong. */
export interface PinnedTrust {
  readonly trust: ReceiptTrust;
  /** The key strings, as pinned (shown back to the auditor). */
  readonly logKeys: readonly string[];
  readonly witnessKeys: readonly string[];
  /** Each line that is not a verifier key, as `line N: why`. */
  readonly problems: readonly string[];
}

/**
 * Reads verifier keys (`<name>+<key id>+<base64>`), one per line or separated by spaces or commas;
 * lines starting with # are comments. Ed25519 (0x01) keys are log keys, cosignature (0x04) keys are
 * witnesses. Trust comes only from here, never from a receipt or from the server.
 */
export function readPinnedTrust(text: string, quorum: number): PinnedTrust {
  const logKeys: NoteVerifierKey[] = [];
  const witnessKeys: NoteVerifierKey[] = [];
  const logTexts: string[] = [];
  const witnessTexts: string[] = [];
  const problems: string[] = [];
  for (const [index, line] of text.split(/\r?\n/).entries()) {
    if (line.trim().startsWith('#')) continue;
    for (const word of line.split(/[\s,]+/).filter((w) => w !== '')) {
      try {
        const key = parseVerifierKey(word);
        if (key.algorithm === NOTE_ALG_ED25519) {
          logKeys.push(key);
          logTexts.push(word);
        } else if (key.algorithm === NOTE_ALG_COSIGNATURE_V1) {
          witnessKeys.push(key);
          witnessTexts.push(word);
        } else
          problems.push(
            `line ${index + 1}: a key of algorithm ${key.algorithm} is neither a log nor a witness key`,
          );
      } catch (error: unknown) {
        problems.push(
          `line ${index + 1}: not a verifier key (${error instanceof Error ? error.message : 'malformed'})`,
        );
      }
    }
  }
  return {
    trust: { logKeys, witnessKeys, quorum },
    logKeys: logTexts,
    witnessKeys: witnessTexts,
    problems,
  };
}
