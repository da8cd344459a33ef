import {
  CheckpointError,
  encodeBase64,
  type Publication,
  PublicationError,
  parseCheckpointNote,
  parsePublication,
  type Receipt,
  ReceiptError,
  type ReceiptExtension,
} from '@msi/core';
import { CliError } from './cli-error.js';
import type { CliIo } from './cli-io.js';
import type { ServerConnection } from './config.js';
import { parseProofHashes } from './consistency-proof.js';
import { describe, readText } from './read-input.js';
import { openVerifierSession } from './verifier-connection.js';

/**
 * The publication in `path` ("-" for standard input), parsed strictly as hostile input (anyone may
 * hand one over). Throws CliError INPUT naming the file and the PublicationError code.
 */
export async function readPublication(path: string, io: CliIo): Promise<Publication> {
  const text = await readText(path, io.stdin, 'publication');
  try {
    return parsePublication(text);
  } catch (error: unknown) {
    if (error instanceof PublicationError) {
      throw new CliError('INPUT', `publication ${describe(path)}: ${error.code}: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
}

/**
 * The extension of `receipt` to exactly the publication: its checkpoint is the publication's note,
 * the consistency proof comes from the verifier's GetConsistencyProof(receipt size, publication
 * size); no call is made when the sizes are equal. `connection` is resolved only when a call is
 * needed. Nothing is trusted here: the caller verifies the extended receipt against the publication.
 * Throws ReceiptError PUBLICATION_MISMATCH for a publication of another log or an older state.
 */
export async function fetchPublicationExtension(
  receipt: Receipt,
  publication: Publication,
  connection: () => ServerConnection,
): Promise<ReceiptExtension> {
  const ours = receiptCheckpoint(receipt);
  const published = publication.checkpoint;
  if (published.origin !== ours.origin) {
    throw new ReceiptError(
      'PUBLICATION_MISMATCH',
      `the publication is of ${published.origin}, the receipt of ${ours.origin}`,
    );
  }
  if (published.size < ours.size) {
    throw new ReceiptError(
      'PUBLICATION_MISMATCH',
      `the publication (size ${published.size}) is older than the receipt's checkpoint (size ${ours.size})`,
    );
  }
  if (published.size === ours.size) return { checkpoint: publication.note, consistency: [] };
  const session = await openVerifierSession(connection());
  try {
    const { hashes } = await session.getConsistencyProof(ours.size, published.size);
    return {
      checkpoint: publication.note,
      consistency: parseProofHashes(hashes.map(encodeBase64), "the verifier's consistency proof"),
    };
  } finally {
    session.close();
  }
}

function receiptCheckpoint(receipt: Receipt) {
  try {
    return parseCheckpointNote(receipt.checkpoint).checkpoint;
  } catch (error: unknown) {
    if (error instanceof CheckpointError) {
      throw new ReceiptError('CHECKPOINT_MALFORMED', `the receipt's checkpoint: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
}
