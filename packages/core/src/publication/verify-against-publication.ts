import type { MerkleHasher } from '@msi/merkle';
import {
  type Checkpoint,
  CheckpointError,
  formatCheckpointBody,
  parseCheckpointNote,
} from '../checkpoint/index.js';
import type { DataEvent } from '../event/index.js';
import {
  checkReceiptProofs,
  parseReceiptJson,
  proveExtension,
  type Receipt,
  ReceiptError,
  type ReceiptExtension,
  type ReceiptFailureCode,
} from '../receipt/index.js';
import type { RoundRecord } from '../round/index.js';
import type { SealRecord } from '../seal/index.js';
import type { Publication } from './publication.js';

/**
 * What a receipt proves against a publication: the event existed, exactly as embedded, no later
 * than `closed_at` of `round` (per the log) and no later than `publishedAt` per the publication —
 * which the holder trusts as a whole; no signature was checked.
 */
export interface VerifiedAgainstPublication {
  readonly event: DataEvent;
  readonly eventLeafHash: Uint8Array;
  readonly seal: SealRecord;
  readonly round: RoundRecord;
  /** The receipt's own checkpoint. */
  readonly checkpoint: Checkpoint;
  /** The publication's checkpoint, which the receipt's checkpoint or its extension is. */
  readonly published: Checkpoint;
  /** The publication's time, seconds since the epoch. */
  readonly publishedAt: number;
  /** Whether the receipt's checkpoint is the publication's, or its extension is. */
  readonly matchedBy: 'checkpoint' | 'extension';
}

/**
 * Verifies a receipt against a publication without any key (docs/PROOFS.md, "Publications"):
 * steps 1–5 of §8 (no signature is checked); the extension, if any, as step 7 without signatures
 * (its checkpoint parses, has the same origin and a size at least the receipt's, and its
 * consistency proof verifies); then the receipt's checkpoint or its extension's MUST have exactly
 * the publication's checkpoint body (origin, size, root, extension lines). `receipt` is hostile
 * input (JSON text or UTF-8 bytes checked for canonical form, or an already parsed receipt); `publication` is
 * trusted by the caller (as from parsePublication). Throws ReceiptError: the §8 codes of steps 1–5,
 * `CHECKPOINT_MALFORMED` / `EXTENSION_INVALID` / `CONSISTENCY_PROOF_INVALID` for the extension,
 * `PUBLICATION_MISMATCH` when neither checkpoint is the publication's.
 */
export function verifyReceiptAgainstPublication(
  receipt: string | Uint8Array | Receipt,
  publication: Publication,
  hasher: MerkleHasher,
): VerifiedAgainstPublication {
  const parsed =
    typeof receipt === 'string' || receipt instanceof Uint8Array ? parseReceiptJson(receipt) : receipt;
  const proven = checkReceiptProofs(parsed, hasher);
  const extended =
    parsed.extension === undefined ? undefined : checkExtension(parsed.extension, proven.checkpoint, hasher);
  const published = publication.checkpoint;
  const result = { ...proven, published, publishedAt: publication.time };
  if (sameCheckpoint(proven.checkpoint, published)) return { ...result, matchedBy: 'checkpoint' };
  if (extended !== undefined && sameCheckpoint(extended, published)) {
    return { ...result, matchedBy: 'extension' };
  }
  const extension =
    extended === undefined ? 'it has no extension' : `nor is its extension ${describe(extended)}`;
  return fail(
    'PUBLICATION_MISMATCH',
    `the receipt's checkpoint ${describe(proven.checkpoint)} is not ${describe(published)}, ${extension}`,
  );
}

/** Step 7 of §8 without signatures: the later checkpoint, proven an extension of `checkpoint`. */
function checkExtension(
  extension: ReceiptExtension,
  checkpoint: Checkpoint,
  hasher: MerkleHasher,
): Checkpoint {
  const extended = parseExtensionCheckpoint(extension.checkpoint);
  proveExtension(checkpoint, extended, extension.consistency, hasher);
  return extended;
}

/** Same origin, size, root and extension lines: the same checkpoint body, byte for byte. */
function sameCheckpoint(a: Checkpoint, b: Checkpoint): boolean {
  return formatCheckpointBody(a) === formatCheckpointBody(b);
}

function parseExtensionCheckpoint(note: string): Checkpoint {
  try {
    return parseCheckpointNote(note).checkpoint;
  } catch (error: unknown) {
    if (error instanceof CheckpointError) fail('CHECKPOINT_MALFORMED', `extension: ${error.message}`, error);
    throw error;
  }
}

function describe(checkpoint: Checkpoint): string {
  return `(${checkpoint.origin}, size ${checkpoint.size})`;
}

function fail(code: ReceiptFailureCode, message: string, cause?: unknown): never {
  throw new ReceiptError(code, message, cause === undefined ? undefined : { cause });
}
