import {
  type AnchoredRound,
  bytesEqual,
  type Checkpoint,
  CheckpointError,
  type ClosedRound,
  type Ed25519Verifier,
  encodeRound,
  type FollowerState,
  followRound,
  NoteError,
  type NoteVerifierKey,
  openCheckpoint,
  type RoundRecord,
  type RoundSeal,
} from '@msi/core';
import type { MerkleHasher } from '@msi/merkle';
import { streamV1 } from '@msi/proto';
import { CalendarError } from './calendar-error.js';
import type { CalendarState, Extension } from './calendar-state.js';

/** Who this calendar is: what a RoundAnchored must match to be one of ours. */
export interface CalendarIdentity {
  /** The checkpoint origin, which is also the log key's name. */
  readonly origin: string;
  readonly intervalMs: number;
  readonly verifierKey: NoteVerifierKey;
}

/** A published round replayed onto a state: the round as published, and the new state. */
export interface ReplayedRound {
  readonly anchored: AnchoredRound;
  readonly record: RoundRecord;
  /** The covered seals in (shard, seal_number) order, as carried. */
  readonly seals: readonly RoundSeal[];
  readonly leafHash: Uint8Array;
  readonly extension: Extension;
}

/** The RoundAnchored message bytes for a closed round and its checkpoint note. */
export function encodeRoundAnchored(closed: ClosedRound, note: string): Uint8Array {
  return streamV1.RoundAnchored.encode({
    version: 1,
    round: Buffer.from(encodeRound(closed.record)),
    checkpoint: note,
    seals: closed.orderedSeals.map((seal) => Buffer.from(seal.bytes)),
  }).finish();
}

/**
 * Reads a RoundAnchored from `<prefix>.rounds`: `data` is hostile input (the stream is shared). It
 * must be a version-1 message; its contents are judged by replayRound. Throws HISTORY_UNVERIFIABLE.
 */
export function decodeRoundAnchored(data: Uint8Array): AnchoredRound {
  let message: streamV1.RoundAnchored;
  try {
    message = streamV1.RoundAnchored.decode(data);
  } catch (error: unknown) {
    return unverifiable(`not a RoundAnchored message: ${String(error)}`, error);
  }
  if (message.version !== 1) unverifiable(`RoundAnchored version ${message.version} is not 1`);
  return {
    round: new Uint8Array(message.round),
    checkpoint: message.checkpoint,
    seals: message.seals.map((seal) => new Uint8Array(seal)),
  };
}

/**
 * The checkpoint of the published RoundAnchored `data`: it must verify with this calendar's key and
 * name its origin (how far the published log reaches). Throws HISTORY_UNVERIFIABLE otherwise.
 */
export function publishedCheckpoint(
  data: Uint8Array,
  identity: CalendarIdentity,
  ed?: Ed25519Verifier,
): Checkpoint {
  const { checkpoint } = decodeRoundAnchored(data);
  let opened: Checkpoint;
  try {
    opened = openCheckpoint(checkpoint, [identity.verifierKey], ed).checkpoint;
  } catch (error: unknown) {
    if (error instanceof CheckpointError || error instanceof NoteError) {
      return unverifiable(`checkpoint: ${error.code}: ${error.message}`, error);
    }
    throw error;
  }
  if (opened.origin !== identity.origin) unverifiable(`checkpoint of origin ${opened.origin}`);
  return opened;
}

/**
 * Replays a published round onto `state` (pure), strictly: core followRound, from the stored
 * calendar with this calendar's interval and origin, must find no violation of docs/PROOFS.md §6 —
 * round k = state.size, the record's rules, seals_start = the state's seals_end, closed_at after the
 * previous round's and not before any seal's max_received_at, the seals in (shard, seal_number)
 * order under the record's root, and a checkpoint of this calendar's key naming size k + 1 and the
 * root the round's leaf takes the stored calendar to. Throws HISTORY_UNVERIFIABLE otherwise, naming
 * every broken rule.
 */
export function replayRound(
  hasher: MerkleHasher,
  state: CalendarState,
  anchored: AnchoredRound,
  identity: CalendarIdentity,
  ed?: Ed25519Verifier,
): ReplayedRound {
  const follower: FollowerState = {
    size: state.size,
    range: state.range,
    lastClosedAt: state.lastClosedAt,
    sealsEnd: state.sealsEnd,
    intervalMs: identity.intervalMs,
    origin: identity.origin,
  };
  const followed = followRound(hasher, follower, anchored, { logKey: identity.verifierKey, ed25519: ed });
  if (followed.kind !== 'extended' || followed.violations.length > 0) {
    const k = followed.record?.round ?? '?';
    const broken = followed.violations.map((v) => `${v.code}: ${v.message}`).join('; ');
    unverifiable(`round ${k} does not extend the stored calendar of ${state.size} rounds: ${broken}`);
  }
  const { range, lastClosedAt, sealsEnd } = followed.state;
  const next: CalendarState = {
    size: range.size,
    root: range.root(),
    range,
    lastClosedAt,
    sealsEnd: sealsEnd ?? state.sealsEnd,
  };
  return {
    anchored,
    record: followed.record,
    seals: followed.seals,
    leafHash: followed.leafHash,
    extension: { state: next, nodes: followed.nodes },
  };
}

/** How the database stands against the last checkpoint published on `<prefix>.rounds`. */
export type PublishedStanding = 'nothing-published' | 'up-to-date' | 'behind';

/**
 * Compares the database (of `size` rounds) with the last published checkpoint (pure). `storedRoot` is
 * the database's root at the published size, when it has one. Throws FORKED when both have that size
 * and their roots differ.
 */
export function judgePublished(
  size: number,
  published: Checkpoint | undefined,
  storedRoot: Uint8Array | undefined,
): PublishedStanding {
  if (published === undefined) return 'nothing-published';
  if (published.size > size) return 'behind';
  if (storedRoot === undefined || !bytesEqual(storedRoot, published.root)) {
    throw new CalendarError(
      'FORKED',
      `the published checkpoint of size ${published.size} differs from the database's at that size`,
    );
  }
  return 'up-to-date';
}

function unverifiable(message: string, cause?: unknown): never {
  throw new CalendarError('HISTORY_UNVERIFIABLE', message, cause === undefined ? undefined : { cause });
}
