import { formatUuid } from '@msi/core';
import { ingestV1 } from '@msi/proto';
import { describe, expect, it } from 'vitest';
import { ackLine } from './format-ack.js';

const id = Buffer.from('0192f0000000700080000000000000aa', 'hex');

describe('ackLine', () => {
  it('prints a durable ack', () => {
    const leafHash = Buffer.alloc(32, 0xab);
    const ack = ingestV1.EventAck.fromPartial({
      eventId: id,
      outcome: { $case: 'durable', value: { leafHash, expectedRound: 42n, shard: 3, duplicate: true } },
    });
    expect(ackLine(ack)).toEqual({
      eventId: formatUuid(id),
      durable: true,
      leafHash: 'ab'.repeat(32),
      shard: 3,
      expectedRound: 42,
      duplicate: true,
    });
  });

  it('prints a failed ack with its code name', () => {
    const ack = ingestV1.EventAck.fromPartial({
      eventId: id,
      outcome: {
        $case: 'failed',
        value: { code: ingestV1.FailureCode.FAILURE_CODE_OVERLOADED, message: 'busy' },
      },
    });
    expect(ackLine(ack)).toEqual({
      eventId: formatUuid(id),
      failed: true,
      code: 'OVERLOADED',
      message: 'busy',
    });
    expect(ackLine(ingestV1.EventAck.fromPartial({ eventId: id }))).toMatchObject({
      failed: true,
      code: 'UNSPECIFIED',
    });
  });
});
