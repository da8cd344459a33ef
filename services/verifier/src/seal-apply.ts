import { decodeSeal, type SealRecord } from '@msi/core';
import type { MerkleHasher } from '@msi/merkle';
import { shardOfSubject } from '@msi/nats';
import { streamV1, verifierV1 } from '@msi/proto';
import type { PumpMessage } from '@msi/service-kit';
import { type CoveredEvent, checkSeal } from './checks.js';
import type { Failure } from './integrity.js';

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

/** A judged seal: its row, its tree levels when verified, or the failure it is. */
export interface SealApplied extends PublishedSeal {
  /** Present exactly when the seal checks out against the events it covers. */
  readonly levels?: readonly Uint8Array[];
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
  if (checked.ok) return { ...seal, levels: checked.value, detail: '' };
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
