import { decodeBase64, encodeBase64 } from '../note/base64.js';
import { hasControlCharacter, isValidKeyName, isWellFormed } from '../note/text.js';
import { CheckpointError } from './checkpoint-error.js';

/** Size in bytes of a checkpoint's root hash (RFC 9162, SHA-256). */
export const CHECKPOINT_ROOT_SIZE = 32;

/** A log's signed tree head, as in the body of a C2SP tlog-checkpoint. */
export interface Checkpoint {
  /** The log identity; also the name of the log's key. Non-empty, without spaces or `+`. */
  readonly origin: string;
  /** The number of leaves, an integer in [0, 2^53 − 1]. */
  readonly size: number;
  /** The RFC 9162 root of the tree of `size` leaves: 32 bytes. */
  readonly root: Uint8Array;
  /** Opaque non-empty lines after the root. MSI emits none; a parser accepts them (they are signed). */
  readonly extensions: readonly string[];
}

const DECIMAL = /^(0|[1-9][0-9]*)$/;

/**
 * Parses a checkpoint body (the note text, ending in `\n`) strictly, per docs/PROOFS.md §7. `text` is
 * hostile input. Throws `CHECKPOINT_MALFORMED` unless it is: the origin (a valid key name: non-empty,
 * no spaces, no `+`), the size (`0` or a decimal without leading zeros, ≤ 2^53 − 1), the root
 * (canonical base64 of exactly 32 bytes), then any non-empty extension lines, each ending in `\n`.
 */
export function parseCheckpointBody(text: string): Checkpoint {
  if (!isWellFormed(text) || hasControlCharacter(text)) malformed('body has a control character');
  if (!text.endsWith('\n')) malformed('body does not end with \\n');
  const [origin = '', sizeText = '', rootText = '', ...extensions] = text.slice(0, -1).split('\n');
  if (!isValidKeyName(origin)) malformed('origin is empty or has a space, a + or a control character');
  if (!DECIMAL.test(sizeText)) malformed('size is not a decimal without leading zeros');
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) malformed('size is above 2^53 - 1');
  const root = decodeBase64(rootText);
  if (root?.length !== CHECKPOINT_ROOT_SIZE) malformed('root is not the base64 of 32 bytes');
  if (extensions.some((line) => line.length === 0)) malformed('body has an empty line');
  return { origin, size, root, extensions };
}

/**
 * The body text of `checkpoint`: origin, size, base64 root and extension lines, each ending in `\n`.
 * Throws `CHECKPOINT_MALFORMED` for a checkpoint that {@link parseCheckpointBody} would refuse.
 */
export function formatCheckpointBody(checkpoint: Checkpoint): string {
  const { origin, size, root, extensions } = checkpoint;
  if (!Number.isSafeInteger(size) || size < 0) malformed('size is not an integer in [0, 2^53 - 1]');
  if (root.length !== CHECKPOINT_ROOT_SIZE) malformed(`root has ${root.length} bytes, want 32`);
  const text = [origin, String(size), encodeBase64(root), ...extensions].map((line) => `${line}\n`).join('');
  if (extensions.some((line) => line.includes('\n'))) malformed('an extension line holds a newline');
  parseCheckpointBody(text);
  return text;
}

function malformed(message: string): never {
  throw new CheckpointError('CHECKPOINT_MALFORMED', message);
}
