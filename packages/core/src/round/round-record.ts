import { HASH_SIZE } from '@msi/merkle';
import { bytesEqual, isUint, MAX_U32, MAX_U64, recordHeader } from '../encoding/index.js';
import { RoundError } from './round-error.js';

/** `"MSIR" || 0x01`: the header of round record v1. */
export const ROUND_HEADER = recordHeader('MSIR', 1);

/** H(""), the root of an empty round (SHA-256 of the empty string). */
export const EMPTY_ROUND_ROOT = Uint8Array.from(
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'.match(/../g) ?? [],
  (hex) => Number.parseInt(hex, 16),
);

/**
 * A calendar round (round record v1, docs/PROOFS.md §6): the seals published since the previous
 * round closed, as the root of a tree over their leaf hashes in (shard, seal_number) order. Round k
 * is leaf k of the calendar. Counters are safe integers; times are microseconds since the epoch.
 */
export interface RoundRecord {
  /** k = 0, 1, 2, … gapless; also the calendar leaf index. */
  readonly round: number;
  /** The calendar's clock when it closed, µs; strictly increasing with k. */
  readonly closedAt: number;
  /** The calendar's round length, ms, u32 >= 1. */
  readonly intervalMs: number;
  /** First seal-stream sequence covered (inclusive). */
  readonly sealsStart: number;
  /** One past the last covered (exclusive); equal to sealsStart exactly when the round is empty. */
  readonly sealsEnd: number;
  /** Number of seals covered, u32, at most sealsEnd − sealsStart. */
  readonly sealCount: number;
  /** MTH over the seal leaf hashes; H("") for an empty round. */
  readonly root: Uint8Array;
}

/**
 * Checks every rule of round record v1 and throws RoundError for the first broken one, in field order.
 * Beyond docs/PROOFS.md's wording it requires interval_ms >= 1 and seal_count <= seals_end −
 * seals_start (each seal is one message of the seal stream), and that a non-empty range has seals.
 */
export function validateRound(round: RoundRecord): void {
  checkCounter('round', round.round);
  if (!isUint(round.closedAt, MAX_U64) || round.closedAt === 0) {
    throw new RoundError('TIME_INVALID', 'closed_at', 'closed_at: not in [1, 2^53 - 1] µs');
  }
  if (!isUint(round.intervalMs, MAX_U32) || round.intervalMs === 0) {
    throw new RoundError('FIELD_RANGE', 'interval_ms', 'interval_ms: not a u32 >= 1');
  }
  checkCounter('seals_start', round.sealsStart);
  checkCounter('seals_end', round.sealsEnd);
  if (round.sealsEnd < round.sealsStart) {
    throw new RoundError('SEALS_RANGE', 'seals_end', 'seals_end: less than seals_start');
  }
  if (!isUint(round.sealCount, MAX_U32)) {
    throw new RoundError('FIELD_RANGE', 'seal_count', 'seal_count: not a u32');
  }
  const span = round.sealsEnd - round.sealsStart;
  if (round.sealCount > span || (round.sealCount === 0) !== (span === 0)) {
    throw new RoundError(
      'SEALS_RANGE',
      'seal_count',
      `seal_count: ${round.sealCount} seals do not fit the seal range of ${span}`,
    );
  }
  if (round.root.length !== HASH_SIZE) {
    throw new RoundError('ROOT_SIZE', 'root', `root: has ${round.root.length} bytes, want ${HASH_SIZE}`);
  }
  if (round.sealCount === 0 && !bytesEqual(round.root, EMPTY_ROUND_ROOT)) {
    throw new RoundError('EMPTY_ROOT', 'root', 'root: an empty round has root H("")');
  }
}

function checkCounter(field: string, value: number): void {
  if (!isUint(value, MAX_U64)) throw new RoundError('FIELD_RANGE', field, `${field}: not in [0, 2^53 - 1]`);
}
