import { decodeBase64 } from '@msi/core';
import { HASH_SIZE } from '@msi/merkle';
import { CliError } from './cli-error.js';

/** Most hashes an RFC 9162 consistency proof can have for trees up to 2^53 leaves, with slack. */
const MAX_PROOF_HASHES = 128;

/**
 * A consistency proof from its JSON form, an array of base64 hashes (hostile input). Throws CliError
 * INPUT naming the bad element.
 */
export function parseProofHashes(value: unknown, where: string): Uint8Array[] {
  if (!Array.isArray(value)) throw new CliError('INPUT', `${where} must be a JSON array of base64 hashes`);
  if (value.length > MAX_PROOF_HASHES) {
    throw new CliError('INPUT', `${where} has ${value.length} hashes, at most ${MAX_PROOF_HASHES} allowed`);
  }
  return value.map((item: unknown, i) => {
    const bytes = typeof item === 'string' ? decodeBase64(item) : undefined;
    if (bytes === undefined || bytes.length !== HASH_SIZE) {
      throw new CliError('INPUT', `${where}[${i}] is not the canonical base64 of a ${HASH_SIZE}-byte hash`);
    }
    return bytes;
  });
}
