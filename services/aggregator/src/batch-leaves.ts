import { decodeEvent, EventError } from '@msi/core';
import type { MerkleHasher } from '@msi/merkle';
import { streamV1 } from '@msi/proto';

/** Why (part of) a message on an events subject was left out of the shard's tree. */
export type RejectionCode =
  | 'BATCH_MALFORMED' // the message is not an EventBatch
  | 'BATCH_VERSION' // an EventBatch version this aggregator does not know
  | 'BATCH_SHARD' // the batch names another shard than its subject
  | 'EVENT_MALFORMED'; // one event is not canonical event v1 (the rest of the batch is kept)

export interface Rejection {
  readonly code: RejectionCode;
  /** Position of the event in the batch, for EVENT_MALFORMED. */
  readonly index?: number;
  readonly detail: string;
}

/** The leaves one message contributes to its shard's tree. */
export interface BatchLeaves {
  /** Event leaf hashes in batch order, packed 32 B each. */
  readonly leafHashes: Uint8Array;
  readonly count: number;
  /** The largest received_at (µs) of the accepted events; 0 when none. */
  readonly maxReceivedAt: number;
  readonly rejections: readonly Rejection[];
}

const SUPPORTED_VERSION = 1;

/**
 * Reads one EventBatch message of shard `shard` and computes its event leaf hashes (docs/PROOFS.md
 * §4: H(0x00 || canonical event bytes), via the hasher's batch leaf hashing). `data` is hostile
 * input (anyone who may publish on the subject wrote it): a message that is not a version-1 batch of
 * this shard contributes no leaves, and an event that does not decode as canonical event v1 is left
 * out. The rule is deterministic, so a replay leaves out exactly the same events. Keeps no reference
 * to the event bytes.
 */
export function batchLeaves(hasher: MerkleHasher, data: Uint8Array, shard: number): BatchLeaves {
  let batch: streamV1.EventBatch;
  try {
    batch = streamV1.EventBatch.decode(data);
  } catch (error) {
    return rejected({ code: 'BATCH_MALFORMED', detail: (error as Error).message });
  }
  if (batch.version !== SUPPORTED_VERSION) {
    return rejected({ code: 'BATCH_VERSION', detail: `EventBatch version ${batch.version}, want 1` });
  }
  if (batch.shard !== shard) {
    return rejected({ code: 'BATCH_SHARD', detail: `EventBatch of shard ${batch.shard} on shard ${shard}` });
  }
  const accepted: Uint8Array[] = [];
  const rejections: Rejection[] = [];
  let maxReceivedAt = 0;
  batch.events.forEach((bytes, index) => {
    try {
      maxReceivedAt = Math.max(maxReceivedAt, decodeEvent(bytes).receivedAt);
      accepted.push(bytes);
    } catch (error) {
      if (!(error instanceof EventError)) throw error;
      rejections.push({ code: 'EVENT_MALFORMED', index, detail: error.message });
    }
  });
  const leafHashes = hasher.hashLeaves(accepted);
  return { leafHashes, count: accepted.length, maxReceivedAt, rejections };
}

function rejected(rejection: Rejection): BatchLeaves {
  return { leafHashes: new Uint8Array(0), count: 0, maxReceivedAt: 0, rejections: [rejection] };
}
