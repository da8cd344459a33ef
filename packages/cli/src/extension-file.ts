import {
  CheckpointError,
  encodeBase64,
  parseCheckpointNote,
  type Receipt,
  ReceiptError,
  type ReceiptExtension,
} from '@msi/core';
import { CliError } from './cli-error.js';
import type { ServerConnection } from './config.js';
import { parseProofHashes } from './consistency-proof.js';
import { openVerifierSession } from './verifier-connection.js';

/**
 * The extension file of `msi extend --from` (hostile input): `{"checkpoint": "<note>",
 * "consistency": ["<base64>", ...]}`, what the verifier API's GetCheckpoint and GetConsistencyProof
 * return. Throws CliError INPUT naming the bad member.
 */
export function parseExtensionFile(value: unknown, path: string): ReceiptExtension {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CliError('INPUT', `extension file ${path} must hold a JSON object`);
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (key !== 'checkpoint' && key !== 'consistency') {
      throw new CliError('INPUT', `extension file ${path}: unknown member "${key}"`);
    }
  }
  if (typeof record.checkpoint !== 'string') {
    throw new CliError('INPUT', `extension file ${path}: "checkpoint" must be the checkpoint note text`);
  }
  return {
    checkpoint: record.checkpoint,
    consistency: parseProofHashes(record.consistency, `extension file ${path}: "consistency"`),
  };
}

/**
 * The extension to the verifier's newest checkpoint: GetCheckpoint(0), then GetConsistencyProof from
 * the receipt's checkpoint size. Nothing is trusted here: the caller verifies the extended receipt.
 */
export async function fetchExtension(
  receipt: Receipt,
  connection: ServerConnection,
  options: { readonly cosigned?: boolean } = {},
): Promise<ReceiptExtension> {
  const oldSize = checkpointSize(receipt.checkpoint, () => {
    throw new ReceiptError('CHECKPOINT_MALFORMED', "the receipt's checkpoint is malformed");
  });
  const session = await openVerifierSession(connection);
  try {
    const latest = await session.getCheckpoint(0, options.cosigned === true);
    const newSize = checkpointSize(latest.checkpoint, () => {
      throw new CliError('VERIFICATION_FAILED', 'the verifier sent a malformed checkpoint');
    });
    if (newSize < oldSize) {
      throw new CliError(
        'VERIFICATION_FAILED',
        `the verifier's newest checkpoint (size ${newSize}) is older than the receipt's (size ${oldSize})`,
      );
    }
    const hashes = newSize === oldSize ? [] : (await session.getConsistencyProof(oldSize, newSize)).hashes;
    return {
      checkpoint: latest.checkpoint,
      consistency: parseProofHashes(hashes.map(encodeBase64), "the verifier's consistency proof"),
    };
  } finally {
    session.close();
  }
}

function checkpointSize(note: string, malformed: () => never): number {
  try {
    return parseCheckpointNote(note).checkpoint.size;
  } catch (error: unknown) {
    if (error instanceof CheckpointError) malformed();
    throw error;
  }
}
