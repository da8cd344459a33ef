import {
  type Checkpoint,
  CheckpointError,
  type ClosedRound,
  closeRound,
  decodeRound,
  decodeSeal,
  type Ed25519Verifier,
  encodeRound,
  NoteError,
  type NoteVerifierKey,
  openCheckpoint,
  RoundError,
  type RoundRecord,
  type RoundSeal,
  roundLeafHash,
  SealError,
} from '@msi/core';
import type { MerkleHasher } from '@msi/merkle';
import { streamV1 } from '@msi/proto';
import { CalendarError } from './calendar-error.js';
import { type CalendarState, type Extension, extendState } from './calendar-state.js';

/** Who this calendar is: what a RoundAnchored must match to be one of ours. */
export interface CalendarIdentity {
  /** The checkpoint origin, which is also the log key's name. */
  readonly origin: string;
  readonly intervalMs: number;
  readonly verifierKey: NoteVerifierKey;
}

/** A RoundAnchored whose checkpoint signature and shape verified (not yet checked against a tree). */
export interface OpenedRound {
  readonly record: RoundRecord;
  readonly roundBytes: Uint8Array;
  readonly checkpoint: Checkpoint;
  readonly note: string;
  /** The seal records as carried, in the message's order. */
  readonly seals: readonly Uint8Array[];
}

/** A published round replayed onto a state: the round as closeRound rebuilt it, and the new state. */
export interface ReplayedRound {
  readonly opened: OpenedRound;
  readonly closed: ClosedRound;
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
 * Opens a RoundAnchored read from `<prefix>.rounds`: `data` is hostile input (the stream is shared).
 * It must be a version-1 message whose round record decodes with this calendar's interval, whose
 * checkpoint verifies with this calendar's key (origin and signature) at size k + 1, and which carries
 * seal_count seals. Throws HISTORY_UNVERIFIABLE otherwise.
 */
export function openRoundAnchored(
  data: Uint8Array,
  identity: CalendarIdentity,
  ed?: Ed25519Verifier,
): OpenedRound {
  const message = decodeMessage(data);
  if (message.version !== 1) unverifiable(`RoundAnchored version ${message.version} is not 1`);
  const roundBytes = new Uint8Array(message.round);
  const record = guard(() => decodeRound(roundBytes), 'round record');
  if (record.intervalMs !== identity.intervalMs) {
    unverifiable(
      `round ${record.round} has interval ${record.intervalMs} ms, this calendar ${identity.intervalMs}`,
    );
  }
  const { checkpoint } = guard(
    () => openCheckpoint(message.checkpoint, [identity.verifierKey], ed),
    'checkpoint',
  );
  if (checkpoint.origin !== identity.origin) unverifiable(`checkpoint of origin ${checkpoint.origin}`);
  if (checkpoint.size !== record.round + 1) {
    unverifiable(`checkpoint of size ${checkpoint.size} carried with round ${record.round}`);
  }
  if (message.seals.length !== record.sealCount) {
    unverifiable(
      `round ${record.round} carries ${message.seals.length} seals, its record says ${record.sealCount}`,
    );
  }
  const seals = message.seals.map((seal) => new Uint8Array(seal));
  return { record, roundBytes, checkpoint, note: message.checkpoint, seals };
}

/**
 * Replays an opened round onto `state` (pure): it must be round state.size, rebuild byte for byte with
 * core closeRound from its seals (seals_start = the state's seals_end, closed_at after the previous
 * round's, seals in (shard, seal_number) order), and its leaf must take the calendar to the
 * checkpoint's root. Throws HISTORY_UNVERIFIABLE otherwise.
 */
export function replayRound(hasher: MerkleHasher, state: CalendarState, opened: OpenedRound): ReplayedRound {
  const { record } = opened;
  if (record.round !== state.size) unverifiable(`round ${record.round} does not follow size ${state.size}`);
  const seals: RoundSeal[] = opened.seals.map((bytes) => ({
    record: guard(() => decodeSeal(bytes), 'seal'),
    bytes,
  }));
  const closed = guard(
    () =>
      closeRound(hasher, {
        round: record.round,
        closedAt: record.closedAt,
        intervalMs: record.intervalMs,
        sealsStart: state.sealsEnd,
        sealsEnd: record.sealsEnd,
        seals,
        previousClosedAt: state.lastClosedAt,
      }),
    `round ${record.round}`,
  );
  if (!bytesEqual(encodeRound(closed.record), opened.roundBytes)) {
    unverifiable(`round ${record.round} does not rebuild from its seals and the stored calendar`);
  }
  if (closed.orderedSeals.some((seal, i) => !bytesEqual(seal.bytes, opened.seals[i] ?? new Uint8Array()))) {
    unverifiable(`round ${record.round} carries its seals out of (shard, seal_number) order`);
  }
  const leafHash = roundLeafHash(hasher, opened.roundBytes);
  const extension = extendState(state, leafHash, record);
  if (!bytesEqual(extension.state.root, opened.checkpoint.root)) {
    unverifiable(`round ${record.round} does not extend the stored calendar to the checkpoint's root`);
  }
  return { opened, closed, leafHash, extension };
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

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

function decodeMessage(data: Uint8Array): streamV1.RoundAnchored {
  try {
    return streamV1.RoundAnchored.decode(data);
  } catch (error: unknown) {
    return unverifiable(`not a RoundAnchored message: ${String(error)}`, error);
  }
}

/** Runs a core decoder or check; its errors become HISTORY_UNVERIFIABLE naming `what`. */
function guard<T>(action: () => T, what: string): T {
  try {
    return action();
  } catch (error: unknown) {
    if (
      error instanceof RoundError ||
      error instanceof SealError ||
      error instanceof CheckpointError ||
      error instanceof NoteError
    ) {
      return unverifiable(`${what}: ${error.code}: ${error.message}`, error);
    }
    throw error;
  }
}

function unverifiable(message: string, cause?: unknown): never {
  throw new CalendarError('HISTORY_UNVERIFIABLE', message, cause === undefined ? undefined : { cause });
}
