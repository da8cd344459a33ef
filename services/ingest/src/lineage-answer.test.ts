import { formatUuid } from '@msi/core';
import { ingestV1 } from '@msi/proto';
import { describe, expect, it } from 'vitest';
import { IngestError } from './ingest-error.js';
import { acksAnswer, ingestRefusal, lineageRefusal, notAnchored } from './lineage-answer.js';
import { LineageError } from './lineage-error.js';
import { planParts } from './lineage-events.js';

const id = (n: number) =>
  Buffer.from(`01a24189-62fd-7078-bafc-a34ba9ad87${String(n).padStart(2, '0')}`.replaceAll('-', ''), 'hex');
const durable = (n: number, duplicate: boolean): ingestV1.EventAck => ({
  eventId: id(n),
  outcome: {
    $case: 'durable',
    value: { leafHash: Buffer.alloc(32, n), expectedRound: 15n, shard: 1, duplicate, receivedAtUs: 1n },
  },
});
const failed = (n: number, code: ingestV1.FailureCode): ingestV1.EventAck => ({
  eventId: id(n),
  outcome: { $case: 'failed', value: { code, message: 'the id was claimed by other content' } },
});

describe('acksAnswer', () => {
  const two = planParts(0, 2);

  it('is 201 when an event is new, 200 when every one was a duplicate', () => {
    const fresh = acksAnswer(two, [durable(1, true), durable(2, false)], 'COMPLETE', 'eventTime');
    expect(fresh.status).toBe(201);
    expect(fresh.body).toEqual({
      eventType: 'COMPLETE',
      events: [
        {
          eventId: formatUuid(id(1)),
          kind: 'STORE',
          part: '1/2',
          duplicate: true,
          leafHash: '01'.repeat(32),
          shard: 1,
          expectedRound: 15,
        },
        expect.objectContaining({ eventId: formatUuid(id(2)), part: '2/2', duplicate: false }),
      ],
    });
    expect(acksAnswer(two, [durable(1, true), durable(2, true)], 'COMPLETE', 'eventTime').status).toBe(200);
  });

  it.each([
    [ingestV1.FailureCode.FAILURE_CODE_ID_CONFLICT, 409, 'ID_CONFLICT', undefined],
    [ingestV1.FailureCode.FAILURE_CODE_ID_OUTSIDE_WINDOW, 400, 'ID_OUTSIDE_WINDOW', 'run.runId'],
    [ingestV1.FailureCode.FAILURE_CODE_UNAVAILABLE, 503, 'UNAVAILABLE', undefined],
    [ingestV1.FailureCode.FAILURE_CODE_IN_PROGRESS, 503, 'IN_PROGRESS', undefined],
  ])('answers a failed event (%s) with %i %s and every event’s outcome', (code, status, name, field) => {
    const answer = acksAnswer(two, [durable(1, false), failed(2, code)], 'COMPLETE', 'run.runId');
    expect(answer.status).toBe(status);
    expect(answer.body).toMatchObject({
      code: name,
      message: 'event 2/2: the id was claimed by other content',
    });
    expect(answer.body.field).toBe(field);
    expect(answer.body.events).toEqual([
      expect.objectContaining({ duplicate: false }),
      expect.objectContaining({ failed: { code: name, message: 'the id was claimed by other content' } }),
    ]);
    expect(answer.headers).toEqual(status === 503 ? { 'retry-after': '1' } : undefined);
  });
});

describe('refusals', () => {
  it('names the RunEvent field of an ingest refusal of the events made from it', () => {
    const old = ingestRefusal(
      new IngestError(
        'INVALID_ARGUMENT',
        'events[0].occurred_at_us',
        'occurred_at_us is older than 604800000 ms',
      ),
    );
    expect(old).toEqual({
      status: 400,
      body: {
        code: 'INVALID_ARGUMENT',
        field: 'eventTime',
        message: 'eventTime: occurred_at_us is older than 604800000 ms',
      },
    });
    expect(
      ingestRefusal(new IngestError('UNAUTHENTICATED', undefined, 'not authenticated (unknown_api_key)')),
    ).toEqual({
      status: 401,
      body: { code: 'UNAUTHENTICATED', message: 'not authenticated (unknown_api_key)' },
    });
    expect(ingestRefusal(new IngestError('UNAVAILABLE', undefined, 'retry later')).headers).toEqual({
      'retry-after': '1',
    });
  });

  it('maps each of its own codes to its status', () => {
    const status = (code: ConstructorParameters<typeof LineageError>[0]) =>
      lineageRefusal(new LineageError(code, 'body', 'x')).status;
    expect([
      status('BODY_TOO_LARGE'),
      status('UNSUPPORTED_MEDIA_TYPE'),
      status('CONTENT_HASH_MISSING'),
    ]).toEqual([413, 415, 400]);
    expect(notAnchored('START')).toMatchObject({ status: 202, body: { eventType: 'START', events: [] } });
  });
});
