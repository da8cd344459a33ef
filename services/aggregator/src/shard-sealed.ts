import { decodeSeal, SealError, type SealRecord } from '@msi/core';
import { streamV1 } from '@msi/proto';
import { AggregatorError } from './aggregator-error.js';

const VERSION = 1;

/** A ShardSealed message read back from `<prefix>.seals.<shard>`. */
export interface ShardSealedMessage {
  readonly record: SealRecord;
  /** The seal record v1 bytes exactly as published. */
  readonly sealBytes: Uint8Array;
  readonly aggregatorId: string;
  readonly leaseRevision: bigint;
  /** The shard map version the sealer held (0 = not recorded). */
  readonly shardMapVersion: bigint;
}

/** The ShardSealed (version 1) message carrying `sealBytes`. */
export function encodeShardSealed(
  sealBytes: Uint8Array,
  aggregatorId: string,
  leaseRevision: number,
  shardMapVersion: number,
): Uint8Array {
  return streamV1.ShardSealed.encode({
    version: VERSION,
    seal: Buffer.from(sealBytes),
    aggregatorId,
    leaseRevision: BigInt(leaseRevision),
    shardMapVersion: BigInt(shardMapVersion),
  }).finish();
}

/**
 * Decodes a ShardSealed message of shard `shard`. `data` is hostile input (anyone who may publish on
 * the seals subject wrote it): the version must be 1, the seal must pass decodeSeal and name `shard`.
 * Throws AggregatorError SEAL_MESSAGE_MALFORMED.
 */
export function decodeShardSealed(data: Uint8Array, shard: number): ShardSealedMessage {
  let message: streamV1.ShardSealed;
  let sealBytes: Uint8Array;
  let record: SealRecord;
  try {
    message = streamV1.ShardSealed.decode(data);
    if (message.version !== VERSION) {
      throw new AggregatorError(
        'SEAL_MESSAGE_MALFORMED',
        shard,
        `ShardSealed version ${message.version}, want 1`,
      );
    }
    sealBytes = new Uint8Array(message.seal); // a plain copy, not a view into a pooled Buffer
    record = decodeSeal(sealBytes);
  } catch (error) {
    if (error instanceof AggregatorError) throw error;
    const detail = error instanceof SealError ? `${error.code} ${error.message}` : (error as Error).message;
    throw new AggregatorError('SEAL_MESSAGE_MALFORMED', shard, `ShardSealed of shard ${shard}: ${detail}`, {
      cause: error,
    });
  }
  if (record.shard !== shard) {
    throw new AggregatorError(
      'SEAL_MESSAGE_MALFORMED',
      shard,
      `a seal of shard ${record.shard} on the seals subject of shard ${shard}`,
    );
  }
  return {
    record,
    sealBytes,
    aggregatorId: message.aggregatorId,
    leaseRevision: message.leaseRevision,
    shardMapVersion: message.shardMapVersion,
  };
}

/** Where a new owner of a shard continues. */
export interface ResumePoint {
  /** The seal_number of the next seal. */
  readonly nextSealNumber: number;
  /** The first events-stream sequence not covered by a seal (1 when the shard has no seal). */
  readonly resumeSeq: number;
  /** The seals-stream sequence of the last seal on the shard's subject (0 when none): the fence. */
  readonly lastSealSeq: number;
}

/** The resume point after the shard's last published seal (stored at `subjectSeq`), or at the start. */
export function resumePointAfter(last: { record: SealRecord; subjectSeq: number } | undefined): ResumePoint {
  if (last === undefined) return { nextSealNumber: 0, resumeSeq: 1, lastSealSeq: 0 };
  return {
    nextSealNumber: last.record.sealNumber + 1,
    resumeSeq: last.record.streamEnd,
    lastSealSeq: last.subjectSeq,
  };
}
