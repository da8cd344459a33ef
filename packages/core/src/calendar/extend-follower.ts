import { type MerkleHasher, merkleRoot } from '@msi/merkle';
import { bytesEqual } from '../encoding/index.js';
import {
  RoundError,
  type RoundRecord,
  type RoundSeal,
  readRound,
  roundLeafHash,
  validateRound,
} from '../round/index.js';
import { decodeSeal, SealError } from '../seal/index.js';
import type { FollowViolation, FollowViolationCode } from './follow-violation.js';
import type { FollowerState, TreeNode } from './follower-state.js';

/** A RoundAnchored's contents, taken from the protobuf message by the caller: all hostile input. */
export interface AnchoredRound {
  /** The round record bytes (round record v1). */
  readonly round: Uint8Array;
  /** The signed checkpoint note of size k + 1. */
  readonly checkpoint: string;
  /** The seal records the round covers, in leaf order. */
  readonly seals: readonly Uint8Array[];
}

/** The carried seal records that decode, with their bytes, in the order carried. */
type CarriedSeals = readonly RoundSeal[];

/** A round appended to the follower's state: leaf k = size, whatever rules it breaks. */
export interface ExtendedRound {
  readonly kind: 'extended';
  readonly state: FollowerState;
  /** The record as parsed (it may break rules: see `violations`). */
  readonly record: RoundRecord;
  readonly leafHash: Uint8Array;
  readonly seals: CarriedSeals;
  /** The tree nodes the append completed (the leaf first), to store. */
  readonly nodes: readonly TreeNode[];
  readonly violations: readonly FollowViolation[];
}

/** A round not appended: it does not parse, or is not round k = size. `state` is the input state. */
export interface UnfollowedRound {
  readonly kind: 'not-followed';
  readonly state: FollowerState;
  /** The record when it parses (its number is not the next one). */
  readonly record: RoundRecord | undefined;
  readonly leafHash: Uint8Array;
  readonly seals: CarriedSeals;
  /** One violation: ROUND_MALFORMED, ROUND_GAP or ROUND_REPEATED. */
  readonly violations: readonly FollowViolation[];
}

export type RoundExtension = ExtendedRound | UnfollowedRound;

/**
 * Judges whether `round` extends the calendar the follower holds in `state` (docs/PROOFS.md §6),
 * without its checkpoint (checkFollowerCheckpoint). Pure. A round that does not parse, or whose
 * number is not `state.size` (a gap, a repeat), is not followed. Any other round IS followed — its
 * leaf appended, its closed_at and seals_end becoming the state's (the interval stays round 0's) — and every rule it
 * breaks is reported: the record's own rules (validateRound), interval_ms unchanged, closed_at after
 * the previous round's, seals_start = the previous seals_end, the carried seals decoding, as many as
 * seal_count, in strictly increasing (shard, seal_number) order, none with max_received_at after
 * closed_at, and root = MTH over them.
 */
export function extendFollower(
  hasher: MerkleHasher,
  state: FollowerState,
  round: Pick<AnchoredRound, 'round' | 'seals'>,
): RoundExtension {
  const leafHash = roundLeafHash(hasher, round.round);
  const { seals, problems } = decodeSeals(round.seals);
  let record: RoundRecord;
  try {
    record = readRound(round.round);
  } catch (error: unknown) {
    if (!(error instanceof RoundError)) throw error;
    const violation = { code: 'ROUND_MALFORMED' as const, message: `round record: ${error.message}` };
    return notFollowed(state, undefined, leafHash, seals, violation);
  }
  const numbering = numberingViolation(record.round, state.size);
  if (numbering !== undefined) return notFollowed(state, record, leafHash, seals, numbering);
  const violations = [
    ...recordViolations(record),
    ...continuityViolations(record, state),
    ...problems,
    ...sealViolations(hasher, record, round.seals, seals),
  ];
  const range = state.range.clone();
  const nodes: TreeNode[] = [];
  range.append(leafHash, (level, index, hash) => nodes.push({ level, index, hash }));
  const next: FollowerState = {
    ...state,
    size: range.size,
    range,
    lastClosedAt: record.closedAt,
    sealsEnd: record.sealsEnd,
    // The reference interval is the calendar's (round 0's): a round that changes it is reported, and
    // so is every later round that keeps the changed value (PROOFS §6).
    intervalMs: state.intervalMs ?? record.intervalMs,
  };
  return { kind: 'extended', state: next, record, leafHash, seals, nodes, violations };
}

function notFollowed(
  state: FollowerState,
  record: RoundRecord | undefined,
  leafHash: Uint8Array,
  seals: CarriedSeals,
  violation: FollowViolation,
): UnfollowedRound {
  return { kind: 'not-followed', state, record, leafHash, seals, violations: [violation] };
}

function numberingViolation(k: number, size: number): FollowViolation | undefined {
  if (k > size) {
    return { code: 'ROUND_GAP', message: `round: ${k} follows a calendar of ${size} rounds (a gap)` };
  }
  if (k < size) {
    return { code: 'ROUND_REPEATED', message: `round: ${k} was followed before (the calendar has ${size})` };
  }
  return undefined;
}

/** The rules of round record v1 (validateRound), as a violation. */
function recordViolations(record: RoundRecord): FollowViolation[] {
  try {
    validateRound(record);
    return [];
  } catch (error: unknown) {
    if (!(error instanceof RoundError)) throw error;
    return [{ code: 'ROUND_INVALID', message: `${error.code}: ${error.message}` }];
  }
}

/** The rules that tie round k to round k − 1 (or, for round 0, to the calendar's start). */
function continuityViolations(record: RoundRecord, state: FollowerState): FollowViolation[] {
  const found: FollowViolation[] = [];
  const add = (code: FollowViolationCode, message: string) => found.push({ code, message });
  if (state.intervalMs !== null && record.intervalMs !== state.intervalMs) {
    add('INTERVAL_CHANGED', `interval_ms: ${record.intervalMs} is not the calendar's ${state.intervalMs}`);
  }
  if (state.lastClosedAt !== null && !(record.closedAt > state.lastClosedAt)) {
    add(
      'CLOSED_AT_NOT_INCREASING',
      `closed_at: ${record.closedAt} is not after the previous round's ${state.lastClosedAt}`,
    );
  }
  if (state.sealsEnd !== null && record.sealsStart !== state.sealsEnd) {
    const previous = state.size === 0 ? 'the first seal sequence' : "the previous round's seals_end";
    add('SEALS_START', `seals_start: ${record.sealsStart} is not ${previous} ${state.sealsEnd}`);
  }
  return found;
}

/** Decodes the carried seals; one SEAL_MALFORMED naming the first that does not decode. */
function decodeSeals(carried: readonly Uint8Array[]): { seals: RoundSeal[]; problems: FollowViolation[] } {
  const seals: RoundSeal[] = [];
  const broken: string[] = [];
  for (const [i, bytes] of carried.entries()) {
    try {
      seals.push({ record: decodeSeal(bytes), bytes });
    } catch (error: unknown) {
      if (!(error instanceof SealError)) throw error;
      broken.push(`seals[${i}]: ${error.code}: ${error.message}`);
    }
  }
  const problems: FollowViolation[] =
    broken.length === 0 ? [] : [{ code: 'SEAL_MALFORMED', message: `${broken[0]}${more(broken.length)}` }];
  return { seals, problems };
}

/** The rules tying the record to the seals it carries. */
function sealViolations(
  hasher: MerkleHasher,
  record: RoundRecord,
  carried: readonly Uint8Array[],
  seals: CarriedSeals,
): FollowViolation[] {
  const found: FollowViolation[] = [];
  if (carried.length !== record.sealCount) {
    found.push({
      code: 'SEAL_COUNT',
      message: `seal_count: ${record.sealCount}, the round carries ${carried.length} seals`,
    });
  }
  const disorder = seals.findIndex((seal, i) => i > 0 && !follows(seals[i - 1] as RoundSeal, seal));
  if (disorder > 0) {
    const { shard, sealNumber } = (seals[disorder] as RoundSeal).record;
    found.push({
      code: 'SEALS_ORDER',
      message: `seals: shard ${shard} seal ${sealNumber} does not follow the previous seal in (shard, seal_number) order`,
    });
  }
  const late = seals.filter((seal) => seal.record.maxReceivedAt > record.closedAt);
  if (late.length > 0) {
    const latest = Math.max(...late.map((seal) => seal.record.maxReceivedAt));
    found.push({
      code: 'CLOSED_BEFORE_SEAL',
      message: `closed_at: ${record.closedAt} is before a covered seal's max_received_at ${latest}${more(late.length)}`,
    });
  }
  if (!bytesEqual(merkleRoot(hasher, carried), record.root)) {
    found.push({
      code: 'ROOT_MISMATCH',
      message: 'root: not the Merkle root of the seals the round carries',
    });
  }
  return found;
}

/** True when `b` comes strictly after `a` in (shard, seal_number) order. */
function follows(a: RoundSeal, b: RoundSeal): boolean {
  const shard = b.record.shard - a.record.shard;
  return shard > 0 || (shard === 0 && b.record.sealNumber > a.record.sealNumber);
}

const more = (count: number): string => (count > 1 ? ` (and ${count - 1} more)` : '');
