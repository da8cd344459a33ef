import { decodeSeal, type SealRecord } from '@msi/core';
import type { MerkleHasher } from '@msi/merkle';
import { shardOfSubject } from '@msi/nats';
import { streamV1, verifierV1 } from '@msi/proto';
import type { PumpMessage } from '@msi/service-kit';
import { type CoveredEvent, checkSeal } from './checks.js';
import type { Failure } from './integrity.js';
import type { SealedEvent } from './projection-store.js';

const Kind = verifierV1.IntegrityFailureKind;

/** A seal as published: its record, its bytes, and the metadata the projection keeps beside them. */
export interface PublishedSeal {
  readonly seq: number;
  readonly record: SealRecord;
  readonly bytes: Uint8Array;
  /**
   * The shard map version its aggregator held (ShardSealed.shard_map_version; 0 = not known).
   * Informational, for auditors (GetRound): not part of the seal record, checked by no proof.
   */
  readonly shardMapVersion: number;
}

/** A ShardSealed message decoded, or the failure it is (a malformed message). */
export type DecodedSeal =
  | ({ readonly ok: true } & PublishedSeal)
  | { readonly ok: false; readonly failure: Failure };

/**
 * Decodes one message of the seal stream `stream` (pure): a version-1 seal of its subject's shard.
 * The message is hostile input: a shard map version beyond 2^53 − 1 (no map ever gets there) makes
 * it malformed, like any other field that does not check out.
 */
export function decodeSealMessage(stream: string, m: PumpMessage): DecodedSeal {
  try {
    const message = streamV1.ShardSealed.decode(m.data);
    if (message.version !== 1) throw new Error(`unknown ShardSealed version ${message.version}`);
    const record = decodeSeal(message.seal);
    if (record.shard !== shardOfSubject(m.subject))
      throw new Error(`seal of shard ${record.shard} on ${m.subject}`);
    if (message.shardMapVersion > BigInt(Number.MAX_SAFE_INTEGER))
      throw new Error(`shard_map_version ${message.shardMapVersion} is beyond 2^53 - 1`);
    const shardMapVersion = Number(message.shardMapVersion);
    return { ok: true, seq: m.seq, record, bytes: message.seal, shardMapVersion };
  } catch (error: unknown) {
    return {
      ok: false,
      failure: {
        kind: Kind.INTEGRITY_FAILURE_KIND_MALFORMED_MESSAGE,
        source: stream,
        seq: m.seq,
        shard: 0,
        number: 0,
        detail: `undecodable seal message: ${(error as Error).message}`,
      },
    };
  }
}

/** A judged seal: its row, its leaf hashes when verified, or the failure it is. */
export interface SealApplied extends PublishedSeal {
  /** The leaf hashes, packed: present exactly when the seal checks out against the events it covers. */
  readonly leaves?: Uint8Array;
  /** Empty when verified. */
  readonly detail: string;
  readonly failure?: Failure;
}

/**
 * Judges a seal against the events the projection holds in its range (pure): its tree is rebuilt
 * (checkSeal); a mismatch is a SEAL_MISMATCH failure and the seal is kept unverified.
 */
export function applySeal(
  hasher: MerkleHasher,
  stream: string,
  seal: PublishedSeal,
  covered: readonly CoveredEvent[],
): SealApplied {
  const checked = checkSeal(hasher, seal.record, covered);
  if (checked.ok) return { ...seal, leaves: checked.value, detail: '' };
  const { shard, sealNumber } = seal.record;
  return {
    ...seal,
    detail: checked.detail,
    failure: {
      kind: Kind.INTEGRITY_FAILURE_KIND_SEAL_MISMATCH,
      source: stream,
      seq: seal.seq,
      shard,
      number: sealNumber,
      detail: `seal ${shard}/${sealNumber}: ${checked.detail}`,
    },
  };
}

/** A covered event with what a receipt needs of it (coveredEvents reads both at once). */
export interface CoveredRow extends CoveredEvent {
  readonly eventId: Uint8Array;
  readonly streamSeq: number;
  readonly position: number;
  readonly tenant: string;
  readonly canonical: Uint8Array;
}

/** One EventBatch message in a verified seal: its first event row's leaf index, and missing positions. */
export interface SealedBatch {
  readonly streamSeq: number;
  readonly sealSeq: number;
  readonly firstLeaf: number;
  /** The positions below its last event row that have no row (did not decode), ascending. */
  readonly gaps: readonly number[];
}

/** The messages a group's verified seals anchor, and their event rows with seal and leaf index. */
export interface SealedBatches {
  readonly batches: readonly SealedBatch[];
  readonly events: readonly SealedEvent[];
}

/**
 * The sealed_batches rows of a group's judged seals (pure): for each verified seal, in order, each
 * message of its covered rows (leaf i = the i-th row, as checkSeal built the tree) not taken by an
 * earlier seal of the group. `covered[i]` are the rows of `seals[i]`.
 */
export function sealedBatchesOf(
  seals: readonly SealApplied[],
  covered: readonly (readonly CoveredRow[])[],
): SealedBatches {
  const batches: SealedBatch[] = [];
  const events: SealedEvent[] = [];
  const taken = new Set<number>();
  seals.forEach((seal, s) => {
    if (seal.leaves === undefined) return;
    let current: { streamSeq: number; firstLeaf: number; gaps: number[]; next: number } | undefined;
    const close = () => {
      if (current !== undefined)
        batches.push({
          streamSeq: current.streamSeq,
          sealSeq: seal.seq,
          firstLeaf: current.firstLeaf,
          gaps: current.gaps,
        });
    };
    (covered[s] ?? []).forEach((row, leaf) => {
      if (current?.streamSeq !== row.streamSeq) {
        close();
        current = undefined;
        if (taken.has(row.streamSeq)) return;
        taken.add(row.streamSeq);
        current = { streamSeq: row.streamSeq, firstLeaf: leaf, gaps: [], next: 0 };
      }
      if (current === undefined) return;
      for (let p = current.next; p < row.position; p++) current.gaps.push(p);
      current.next = row.position + 1;
      events.push({
        eventId: row.eventId,
        row: {
          streamSeq: row.streamSeq,
          position: row.position,
          tenant: row.tenant,
          canonical: row.canonical,
          sealSeq: seal.seq,
          leafIndex: leaf,
        },
      });
    });
    close();
  });
  return { batches, events };
}
