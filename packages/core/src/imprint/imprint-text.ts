import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { algorithmByName } from './hash-algorithms.js';
import { checkImprint, type Imprint } from './imprint.js';
import { ImprintError } from './imprint-error.js';

// Longest valid text: "sha3-512:" + 128 hex digits. Anything much longer is rejected before parsing.
const MAX_TEXT_LENGTH = 160;
const TEXT_FORM = /^([a-z0-9-]{1,16}):([0-9a-fA-F]*)$/;

/** The text form `<name>:<digest as lowercase hex>`, e.g. `sha256:9f86d0…`. Throws as checkImprint. */
export function formatImprint(imprint: Imprint): string {
  checkImprint(imprint);
  return `${imprint.algorithm}:${bytesToHex(imprint.digest)}`;
}

/**
 * Parses the text form `<name>:<hex>`. `text` is hostile input. The name must be an exact registry
 * name; the hex may be upper or lower case. Throws ImprintError MALFORMED (not of that shape, odd
 * number of hex digits), UNKNOWN_ALGORITHM, DEPRECATED_ALGORITHM or WRONG_LENGTH.
 */
export function parseImprintText(text: string): Imprint {
  const match = text.length <= MAX_TEXT_LENGTH ? TEXT_FORM.exec(text) : null;
  const name = match?.[1];
  const hex = match?.[2];
  if (name === undefined || hex === undefined || hex.length % 2 !== 0) {
    throw new ImprintError('MALFORMED', 'imprint text is not <algorithm>:<hex digest>');
  }
  const algorithm = algorithmByName(name);
  if (hex.length !== 2 * algorithm.digestSize) {
    throw new ImprintError(
      'WRONG_LENGTH',
      `${algorithm.name} digest has ${hex.length / 2} bytes, want ${algorithm.digestSize}`,
    );
  }
  return { algorithm: algorithm.name, digest: hexToBytes(hex) };
}
