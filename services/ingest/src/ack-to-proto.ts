import { ingestV1 } from '@msi/proto';
import { asBuffer } from '@msi/wire';
import type { Ack, FailureCode } from './ingest-pipeline.js';

const FAILURE: Readonly<Record<FailureCode, ingestV1.FailureCode>> = {
  UNAVAILABLE: ingestV1.FailureCode.FAILURE_CODE_UNAVAILABLE,
  IN_PROGRESS: ingestV1.FailureCode.FAILURE_CODE_IN_PROGRESS,
  OVERLOADED: ingestV1.FailureCode.FAILURE_CODE_OVERLOADED,
  ID_CONFLICT: ingestV1.FailureCode.FAILURE_CODE_ID_CONFLICT,
  ID_OUTSIDE_WINDOW: ingestV1.FailureCode.FAILURE_CODE_ID_OUTSIDE_WINDOW,
};

/** The wire form of an ack. */
export function ackToProto(ack: Ack): ingestV1.EventAck {
  if (ack.kind === 'failed') {
    return {
      eventId: asBuffer(ack.eventId),
      outcome: { $case: 'failed', value: { code: FAILURE[ack.code], message: ack.message } },
    };
  }
  return {
    eventId: asBuffer(ack.eventId),
    outcome: {
      $case: 'durable',
      value: {
        leafHash: asBuffer(ack.leafHash),
        expectedRound: BigInt(ack.expectedRound),
        shard: ack.shard,
        duplicate: ack.duplicate,
        receivedAtUs: BigInt(ack.receivedAtUs),
      },
    },
  };
}

/** Every event of a request gets the ack of its distinct event (`slots` from prepareEvents). */
export function expandAcks(
  acks: readonly ingestV1.EventAck[],
  slots: readonly number[],
): ingestV1.EventAck[] {
  return slots.map((slot) => {
    const ack = acks[slot];
    if (ack === undefined) throw new RangeError(`no ack for slot ${slot}`);
    return ack;
  });
}
