import { type MerkleHasher, ProofError, verifyConsistency } from '@msi/merkle';
import type { Checkpoint, CheckpointError } from '../checkpoint/index.js';
import { ReceiptError, type ReceiptFailureCode } from './receipt-error.js';

/**
 * Step 7 of docs/PROOFS.md §8 after the later checkpoint is parsed (and, when keys are used, its
 * signatures checked): same origin, a size not below the receipt's checkpoint, and the consistency
 * proof between the two. Throws ReceiptError EXTENSION_INVALID or CONSISTENCY_PROOF_INVALID.
 */
export function proveExtension(
  checkpoint: Checkpoint,
  later: Checkpoint,
  consistency: readonly Uint8Array[],
  hasher: MerkleHasher,
): void {
  if (later.origin !== checkpoint.origin) {
    throw new ReceiptError(
      'EXTENSION_INVALID',
      `extension origin ${later.origin} is not ${checkpoint.origin}`,
    );
  }
  if (later.size < checkpoint.size) {
    throw new ReceiptError(
      'EXTENSION_INVALID',
      `extension size ${later.size} is below the checkpoint size ${checkpoint.size}`,
    );
  }
  try {
    verifyConsistency(hasher, checkpoint.size, later.size, consistency, checkpoint.root, later.root);
  } catch (error: unknown) {
    if (error instanceof ProofError) {
      throw new ReceiptError(
        'CONSISTENCY_PROOF_INVALID',
        `consistency proof: ${error.code}: ${error.message}`,
        {
          cause: error,
        },
      );
    }
    throw error;
  }
}

/** The receipt failure code of a checkpoint error: the signature codes as they are, else malformed. */
export function receiptCodeOf(error: CheckpointError): ReceiptFailureCode {
  return error.code === 'UNTRUSTED_KEY' ||
    error.code === 'SIGNATURE_INVALID' ||
    error.code === 'COSIGNATURE_INVALID'
    ? error.code
    : 'CHECKPOINT_MALFORMED';
}
