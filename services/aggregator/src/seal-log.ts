import { bytesEqual } from '@msi/core';
import { PublishError, publishDurable } from '@msi/nats';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/transport-node';
import { AggregatorError } from './aggregator-error.js';
import { decodeShardSealed, type ShardSealedMessage } from './shard-sealed.js';

/** Where a shard's seals live: the seals stream and the shard's subject in it. */
export interface SealLogAddress {
  readonly stream: string;
  readonly subject: string;
  readonly shard: number;
}

/** The last seal of a shard and the seals-stream sequence it is stored at. */
export interface LastSeal extends ShardSealedMessage {
  readonly subjectSeq: number;
}

/**
 * Reads the shard's last published seal ("last by subject"), or undefined when it has none. Asks the
 * stream leader (not a direct get, which a lagging replica may answer): the fence must be current.
 * Throws AggregatorError SEAL_MESSAGE_MALFORMED when the last message is not a valid seal.
 */
export async function readLastSeal(jsm: JetStreamManager, at: SealLogAddress): Promise<LastSeal | undefined> {
  const stored = await jsm.streams.getMessage(at.stream, { last_by_subj: at.subject });
  if (stored === null) return undefined;
  return { ...decodeShardSealed(stored.data, at.shard), subjectSeq: stored.seq };
}

/** One seal to publish. */
export interface SealToPublish {
  readonly sealNumber: number;
  /** Seal record v1 bytes. */
  readonly sealBytes: Uint8Array;
  /** The ShardSealed message carrying them. */
  readonly payload: Uint8Array;
  /** The KV revision of the lease it is published under. */
  readonly leaseRevision: number;
  /** The sequence of the shard's previous seal (0 when none): the publish is refused otherwise. */
  readonly expectLastSealSeq: number;
  /** Do not start a publish attempt after this instant (epoch ms): the end of the lease. */
  readonly deadline: number;
  readonly timeoutMs: number;
  /** Trace headers (the seal's span), beside the payload. */
  readonly headers?: MsgHdrs | undefined;
}

/**
 * Publishes a seal with msgID `seal-<shard>-<seal_number>-<lease revision>` and the previous seal's
 * sequence as the expected last subject sequence; resolves with the sequence it is stored at.
 *
 * Why the lease revision is in the msgID: nats-server checks the msgID before the expectation, so a
 * publish whose msgID was used within the duplicate window is answered "duplicate" with the first
 * message's sequence, even when that message is another owner's seal of the same number. With the
 * revision in it, only a retry of this very publish can be a duplicate, and a paused old owner's
 * late seal meets the expectation check and is refused. A duplicate still counts as stored only when
 * the stored seal is byte for byte this one; otherwise it is FENCED. Throws AggregatorError FENCED,
 * or PublishError TIMEOUT/REJECTED (the seal may or may not be stored: re-read the log before going on).
 */
export async function publishSeal(
  js: JetStreamClient,
  jsm: JetStreamManager,
  at: SealLogAddress,
  seal: SealToPublish,
): Promise<number> {
  let ack: Awaited<ReturnType<typeof publishDurable>>;
  try {
    ack = await publishDurable(js, at.subject, seal.payload, {
      msgID: `seal-${at.shard}-${seal.sealNumber}-${seal.leaseRevision}`,
      expectLastSubjectSequence: seal.expectLastSealSeq,
      timeoutMs: seal.timeoutMs,
      attempts: 3,
      deadline: seal.deadline,
      ...(seal.headers === undefined ? {} : { headers: seal.headers }),
    });
  } catch (error) {
    if (error instanceof PublishError && error.code === 'FENCED') {
      throw new AggregatorError(
        'FENCED',
        at.shard,
        `seal ${seal.sealNumber} of shard ${at.shard}: ${error.message}`,
        {
          cause: error,
        },
      );
    }
    throw error;
  }
  if (!ack.duplicate) return ack.seq;
  const stored = await jsm.streams.getMessage(at.stream, { seq: ack.seq });
  const same =
    stored !== null &&
    stored.subject === at.subject &&
    bytesEqual(decodeShardSealed(stored.data, at.shard).sealBytes, seal.sealBytes);
  if (!same) {
    throw new AggregatorError(
      'FENCED',
      at.shard,
      `seal ${seal.sealNumber} of shard ${at.shard}: another seal with its msgID is stored at ${ack.seq}`,
    );
  }
  return ack.seq;
}
