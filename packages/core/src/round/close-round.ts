import { type MerkleHasher, MerkleTree } from '@msi/merkle';
import { bytesEqual } from '../encoding/index.js';
import { encodeSeal, type SealRecord } from '../seal/index.js';
import { RoundError } from './round-error.js';
import { EMPTY_ROUND_ROOT, type RoundRecord, validateRound } from './round-record.js';

/** A seal as the calendar received it: the decoded record and the exact bytes that were published. */
export interface RoundSeal {
  readonly record: SealRecord;
  readonly bytes: Uint8Array;
}

/** What the calendar knows when it closes round `round`. */
export interface CloseRoundInput {
  readonly round: number;
  /** The calendar's clock now, µs. */
  readonly closedAt: number;
  readonly intervalMs: number;
  /** The seal-stream range [sealsStart, sealsEnd) this round covers. */
  readonly sealsStart: number;
  readonly sealsEnd: number;
  /** The seals published in that range, in any order, without duplicates. */
  readonly seals: readonly RoundSeal[];
  /** closed_at of round − 1; null exactly for round 0. */
  readonly previousClosedAt: number | null;
}

/** A closed round: the record to append, the tree to serve seal proofs from, and the seals in leaf order. */
export interface ClosedRound {
  readonly record: RoundRecord;
  readonly tree: MerkleTree;
  /** The seals in (shard, seal_number) order: `orderedSeals[i]` is leaf i of `tree`. */
  readonly orderedSeals: readonly RoundSeal[];
}

/**
 * Closes a calendar round (docs/PROOFS.md §6). Pure. Checks the record fields (validateRound), that
 * closed_at is after the previous round's and not before any seal's max_received_at, that each
 * seal's bytes are the encoding of its record and that no (shard, seal_number) repeats; then orders
 * the seals by (shard, seal_number) and builds the tree over their leaf hashes. Every check runs
 * before any hashing. Throws RoundError, or SealError for a seal record that is itself invalid.
 * Error paths `seals[i]` index `input.seals` as given.
 */
export function closeRound(hasher: MerkleHasher, input: CloseRoundInput): ClosedRound {
  const { round, closedAt, intervalMs, sealsStart, sealsEnd, seals } = input;
  const unrooted = { round, closedAt, intervalMs, sealsStart, sealsEnd, sealCount: seals.length };
  validateRound({ ...unrooted, root: EMPTY_ROUND_ROOT });
  checkPrevious(input);
  for (const [i, seal] of seals.entries()) checkSeal(seal, i, closedAt);
  const orderedSeals = orderSeals(seals);
  const tree = MerkleTree.fromLeaves(
    hasher,
    orderedSeals.map((seal) => seal.bytes),
  );
  return { record: { ...unrooted, root: tree.root() }, tree, orderedSeals };
}

function checkPrevious({ round, closedAt, previousClosedAt }: CloseRoundInput): void {
  if ((round === 0) !== (previousClosedAt === null)) {
    throw new RoundError(
      'PREVIOUS_ROUND',
      'previous_closed_at',
      `previous_closed_at: must be given exactly when round > 0 (round ${round})`,
    );
  }
  if (previousClosedAt !== null && !(closedAt > previousClosedAt)) {
    throw new RoundError(
      'CLOSED_AT_NOT_INCREASING',
      'closed_at',
      `closed_at: ${closedAt} is not after the previous round's ${previousClosedAt}`,
    );
  }
}

/** The seal's bytes are its record's encoding, and it was sealed no later than closed_at. */
function checkSeal(seal: RoundSeal, index: number, closedAt: number): void {
  const field = `seals[${index}]`;
  if (!bytesEqual(encodeSeal(seal.record), seal.bytes)) {
    throw new RoundError('SEAL_MISMATCH', field, `${field}: bytes are not the encoding of the record`);
  }
  if (seal.record.maxReceivedAt > closedAt) {
    throw new RoundError(
      'CLOSED_BEFORE_SEAL',
      'closed_at',
      `closed_at: ${closedAt} is before the max_received_at of ${field} (${seal.record.maxReceivedAt})`,
    );
  }
}

/** The seals sorted by (shard, seal_number); a repeated pair is DUPLICATE_SEAL. */
function orderSeals(seals: readonly RoundSeal[]): RoundSeal[] {
  const ordered = [...seals].sort(
    (a, b) => a.record.shard - b.record.shard || a.record.sealNumber - b.record.sealNumber,
  );
  for (let i = 1; i < ordered.length; i++) {
    const previous = ordered[i - 1]?.record;
    const current = ordered[i]?.record;
    if (previous?.shard === current?.shard && previous?.sealNumber === current?.sealNumber) {
      throw new RoundError(
        'DUPLICATE_SEAL',
        'seals',
        `seals: shard ${current?.shard} seal ${current?.sealNumber} appears twice`,
      );
    }
  }
  return ordered;
}
