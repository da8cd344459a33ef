import {
  CheckpointError,
  decodeRound,
  type Ed25519Verifier,
  NoteError,
  type NoteVerifierKey,
  openCheckpoint,
  type RoundRecord,
  type SealRecord,
} from '@msi/core';
import { type CompactRange, type MerkleHasher, MerkleTree } from '@msi/merkle';

const equal = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && a.every((byte, i) => byte === b[i]);

/** The outcome of a check: ok, or the reason it failed (an integrity failure). */
export type CheckResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly detail: string };

/** A covered event as the projection stored it. */
export interface CoveredEvent {
  readonly leafHash: Uint8Array;
  readonly receivedAt: number;
}

/**
 * Rebuilds a seal's tree from the events it claims to cover (those of its shard in
 * [stream_start, stream_end), in stream then batch order) and compares leaf count, root and
 * max_received_at with the seal record. Returns the tree's levels (packed, level 0 = leaf hashes).
 */
export function checkSeal(
  hasher: MerkleHasher,
  seal: SealRecord,
  events: readonly CoveredEvent[],
): CheckResult<Uint8Array[]> {
  if (events.length !== seal.leafCount) {
    return {
      ok: false,
      detail: `seal claims ${seal.leafCount} leaves, its range holds ${events.length} events`,
    };
  }
  const maxReceived = events.reduce((max, e) => Math.max(max, e.receivedAt), 0);
  if (maxReceived !== seal.maxReceivedAt) {
    return { ok: false, detail: `max_received_at ${seal.maxReceivedAt} is not the events' ${maxReceived}` };
  }
  const packed = new Uint8Array(events.length * 32);
  events.forEach((e, i) => {
    packed.set(e.leafHash, i * 32);
  });
  const tree = MerkleTree.fromLeafHashes(hasher, packed, events.length);
  if (!equal(tree.root(), seal.root))
    return { ok: false, detail: 'root does not match the events it covers' };
  return { ok: true, value: treeLevels(tree, events.length) };
}

/** The levels of a tree as packed hashes: level l holds ceil(n / 2^l) nodes (right border carried). */
export function treeLevels(tree: MerkleTree, size: number): Uint8Array[] {
  const levels: Uint8Array[] = [];
  for (let level = 0, count = size; ; level++, count = Math.ceil(count / 2)) {
    const packed = new Uint8Array(count * 32);
    for (let i = 0; i < count; i++) packed.set(tree.node(level, i), i * 32);
    levels.push(packed);
    if (count <= 1) return levels;
  }
}

/** A round message's seal as matched against the seals the projection holds. */
export interface KnownSeal {
  readonly streamSeq: number;
  readonly record: Uint8Array;
}

/**
 * Checks a round record against the seals it carries and the seals published in its range: the round
 * is round `expectedK`, its seals are all published in [seals_start, seals_end), sorted by (shard,
 * seal_number), their count and tree root match the record. Returns the decoded round and, per seal,
 * the stream sequence of the published seal it is.
 */
export function checkRound(
  hasher: MerkleHasher,
  roundBytes: Uint8Array,
  seals: readonly Uint8Array[],
  expectedK: number,
  published: readonly KnownSeal[],
  decodeSealRecord: (bytes: Uint8Array) => SealRecord,
): CheckResult<{ round: RoundRecord; sealSeqs: number[] }> {
  let round: RoundRecord;
  try {
    round = decodeRound(roundBytes);
  } catch (error: unknown) {
    return { ok: false, detail: `round record malformed: ${(error as Error).message}` };
  }
  if (round.round !== expectedK)
    return { ok: false, detail: `expected round ${expectedK}, got ${round.round}` };
  if (seals.length !== round.sealCount) {
    return { ok: false, detail: `round claims ${round.sealCount} seals, carries ${seals.length}` };
  }
  const root = seals.length === 0 ? hasher.emptyRoot() : MerkleTree.fromLeaves(hasher, seals).root();
  if (!equal(root, round.root)) return { ok: false, detail: 'root does not match its seals' };
  const sealSeqs: number[] = [];
  let previous: SealRecord | undefined;
  for (const bytes of seals) {
    const found = published.find(
      (s) => s.streamSeq >= round.sealsStart && s.streamSeq < round.sealsEnd && equal(s.record, bytes),
    );
    if (found === undefined)
      return { ok: false, detail: 'a seal of the round was not published in its range' };
    const record = decodeSealRecord(bytes);
    if (
      previous !== undefined &&
      (record.shard < previous.shard ||
        (record.shard === previous.shard && record.sealNumber <= previous.sealNumber))
    ) {
      return { ok: false, detail: 'seals are not in (shard, seal_number) order' };
    }
    previous = record;
    sealSeqs.push(found.streamSeq);
  }
  return { ok: true, value: { round, sealSeqs } };
}

/**
 * Checks a round's checkpoint: it verifies with the trusted calendar key, names size k + 1, and its
 * root is the root of the calendar rebuilt from the rounds' leaves (`range` after appending round k),
 * which also proves it consistent with every earlier checkpoint the projection accepted. `origin` is
 * the origin of the previous checkpoint ('' for the first).
 */
export function checkCheckpoint(
  note: string,
  trusted: NoteVerifierKey,
  ed25519: Ed25519Verifier,
  range: CompactRange,
  origin: string,
): CheckResult<{ origin: string }> {
  try {
    const { checkpoint } = openCheckpoint(note, [trusted], ed25519);
    if (origin !== '' && checkpoint.origin !== origin) {
      return { ok: false, detail: `origin ${checkpoint.origin} differs from ${origin}` };
    }
    if (checkpoint.size !== range.size) {
      return {
        ok: false,
        detail: `checkpoint size ${checkpoint.size}, the calendar has ${range.size} rounds`,
      };
    }
    if (!equal(checkpoint.root, range.root())) {
      return { ok: false, detail: 'checkpoint root is not the root of the rounds published (inconsistent)' };
    }
    return { ok: true, value: { origin: checkpoint.origin } };
  } catch (error: unknown) {
    if (error instanceof CheckpointError || error instanceof NoteError)
      return { ok: false, detail: `checkpoint ${error.code}: ${error.message}` };
    throw error;
  }
}
