import { CHECKPOINT_VIOLATIONS, type FollowedRound, type FollowViolation } from '@msi/core';
import { streamV1, verifierV1 } from '@msi/proto';
import type { PumpMessage } from '@msi/service-kit';
import { type KnownSeal, locateSeals } from './checks.js';
import type { Failure } from './integrity.js';

const Kind = verifierV1.IntegrityFailureKind;

/** The rows a group of rounds adds to the projection, in round order. */
export interface RoundRows {
  readonly rounds: {
    readonly k: number;
    readonly seq: number;
    readonly record: Uint8Array;
    readonly leafHash: Uint8Array;
    readonly closedAt: number;
    readonly sealCount: number;
    readonly root: Uint8Array;
    readonly checkpoint: string;
    readonly verified: boolean;
    readonly detail: string;
  }[];
  readonly seals: {
    readonly k: number;
    readonly position: number;
    readonly sealSeq: number | null;
    readonly record: Uint8Array;
  }[];
  readonly nodes: { readonly level: number; readonly index: number; readonly hash: Uint8Array }[];
  readonly checkpoints: { readonly size: number; readonly root: Uint8Array; readonly note: string }[];
}

export const emptyRoundRows = (): RoundRows => ({ rounds: [], seals: [], nodes: [], checkpoints: [] });

/** A RoundAnchored message decoded, or the failure it is (a malformed message). */
export type DecodedRound =
  | { readonly ok: true; readonly message: streamV1.RoundAnchored }
  | { readonly ok: false; readonly failure: Failure };

/** Decodes one message of the rounds stream `stream` (pure). */
export function decodeRoundMessage(stream: string, m: PumpMessage): DecodedRound {
  try {
    const message = streamV1.RoundAnchored.decode(m.data);
    if (message.version !== 1) throw new Error(`unknown RoundAnchored version ${message.version}`);
    return { ok: true, message };
  } catch (error: unknown) {
    return {
      ok: false,
      failure: {
        kind: Kind.INTEGRITY_FAILURE_KIND_MALFORMED_MESSAGE,
        source: stream,
        seq: m.seq,
        shard: 0,
        number: 0,
        detail: `undecodable round message: ${(error as Error).message}`,
      },
    };
  }
}

/** A broken rule as a failure's detail names it. */
export const describeViolation = (violation: FollowViolation): string =>
  `${violation.code}: ${violation.message}`;

/** The failure of round k (message at `seq` of `stream`) for the rules it broke. */
export function roundFailure(
  stream: string,
  seq: number,
  k: number,
  kind: verifierV1.IntegrityFailureKind,
  details: readonly string[],
): Failure {
  return { kind, source: stream, seq, shard: 0, number: k, detail: `round ${k}: ${details.join('; ')}` };
}

/**
 * Applies a round core followRound appended as round k (pure): adds its rows to `rows` and returns
 * its failures. Beyond followRound's rules, each seal it carries must have been published in its
 * seal range (`published`: the seals held in [seals_start, seals_end)). Round rules broken → one
 * ROUND_MISMATCH, checkpoint rules → one CHECKPOINT_INVALID; the round is appended either way
 * (so later checkpoints are still checked), verified only without a failure, and its checkpoint
 * stored only when followRound accepted it.
 */
export function applyRound(
  rows: RoundRows,
  at: { readonly stream: string; readonly seq: number; readonly k: number },
  message: streamV1.RoundAnchored,
  followed: FollowedRound,
  published: readonly KnownSeal[],
): Failure[] {
  const { record, state: next } = followed;
  const located = locateSeals(record.sealsStart, record.sealsEnd, message.seals, published);
  const roundDetails = followed.violations
    .filter((v) => !CHECKPOINT_VIOLATIONS.includes(v.code))
    .map(describeViolation);
  const checkpointDetails = followed.violations
    .filter((v) => CHECKPOINT_VIOLATIONS.includes(v.code))
    .map(describeViolation);
  if (located.missing > 0) {
    roundDetails.push(
      `SEAL_NOT_PUBLISHED: ${located.missing} of its seals were not published in [${record.sealsStart}, ${record.sealsEnd}) of the seal stream`,
    );
  }
  const failures: Failure[] = [];
  if (roundDetails.length > 0) {
    failures.push(
      roundFailure(at.stream, at.seq, at.k, Kind.INTEGRITY_FAILURE_KIND_ROUND_MISMATCH, roundDetails),
    );
  }
  if (checkpointDetails.length > 0) {
    failures.push(
      roundFailure(
        at.stream,
        at.seq,
        at.k,
        Kind.INTEGRITY_FAILURE_KIND_CHECKPOINT_INVALID,
        checkpointDetails,
      ),
    );
  }
  const roundOk = roundDetails.length === 0;
  rows.rounds.push({
    k: at.k,
    seq: at.seq,
    record: message.round,
    leafHash: followed.leafHash,
    closedAt: roundOk ? record.closedAt : 0,
    sealCount: message.seals.length,
    root: roundOk ? record.root : new Uint8Array(32),
    checkpoint: message.checkpoint,
    verified: failures.length === 0,
    detail: failures.map((f) => f.detail).join('; '),
  });
  message.seals.forEach((seal, position) => {
    rows.seals.push({
      k: at.k,
      position,
      sealSeq: roundOk ? (located.sealSeqs[position] ?? null) : null,
      record: seal,
    });
  });
  rows.nodes.push(...followed.nodes);
  if (followed.checkpoint !== undefined) {
    rows.checkpoints.push({ size: next.size, root: next.range.root(), note: message.checkpoint });
  }
  return failures;
}
