import { formatUuid } from '@msi/core';
import { ingestV1 } from '@msi/proto';
import { bytesToHex } from '@noble/hashes/utils.js';

/** One ack as the JSON line `msi emit` prints. */
export type AckLine =
  | {
      readonly eventId: string;
      readonly durable: true;
      readonly leafHash: string;
      readonly shard: number;
      readonly expectedRound: number;
      readonly duplicate: boolean;
    }
  | { readonly eventId: string; readonly failed: true; readonly code: string; readonly message: string };

export function ackLine(ack: ingestV1.EventAck): AckLine {
  const eventId = ack.eventId.length === 16 ? formatUuid(ack.eventId) : bytesToHex(ack.eventId);
  const outcome = ack.outcome;
  if (outcome?.$case === 'durable') {
    return {
      eventId,
      durable: true,
      leafHash: bytesToHex(outcome.value.leafHash),
      shard: outcome.value.shard,
      expectedRound: Number(outcome.value.expectedRound),
      duplicate: outcome.value.duplicate,
    };
  }
  if (outcome?.$case === 'failed') {
    return { eventId, failed: true, code: failureName(outcome.value.code), message: outcome.value.message };
  }
  return { eventId, failed: true, code: 'UNSPECIFIED', message: 'ingest sent an ack without an outcome' };
}

function failureName(code: ingestV1.FailureCode): string {
  switch (code) {
    case ingestV1.FailureCode.FAILURE_CODE_UNAVAILABLE:
      return 'UNAVAILABLE';
    case ingestV1.FailureCode.FAILURE_CODE_IN_PROGRESS:
      return 'IN_PROGRESS';
    case ingestV1.FailureCode.FAILURE_CODE_OVERLOADED:
      return 'OVERLOADED';
    default:
      return 'UNSPECIFIED';
  }
}
