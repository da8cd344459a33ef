import { Metadata } from '@grpc/grpc-js';
import type { eventV1, ingestV1 } from '@msi/proto';
import { describe, expect, it } from 'vitest';
import type { IngestCalls } from './ingest-calls.js';
import { ingestServiceImplementation } from './ingest-service.js';

/** IngestCalls whose submitUnary takes the request's events and notes what it took. */
function takingCalls(seen: (readonly eventV1.DataEvent[])[]): IngestCalls {
  return {
    submitUnary: async (_call: unknown, _method: string, request: () => readonly eventV1.DataEvent[]) => {
      const events = request();
      seen.push(events);
      return events.map(() => ({}) as ingestV1.EventAck);
    },
  } as unknown as IngestCalls;
}

const event = (actor: string) => ({ actor }) as eventV1.DataEvent;

describe('ingestServiceImplementation', () => {
  it('takes the events out of a SubmitBatch request once they are handed over (grpc-js holds it to the end)', async () => {
    const seen: (readonly eventV1.DataEvent[])[] = [];
    const service = ingestServiceImplementation(takingCalls(seen), 8);
    const events = [event('a'), event('b')];
    const call = { metadata: new Metadata(), request: { events } };
    const answer = await new Promise<ingestV1.SubmitBatchResponse | null | undefined>((resolve, reject) =>
      service.submitBatch(call as never, (error, value) => (error ? reject(error) : resolve(value))),
    );
    expect(seen).toEqual([events]);
    expect(answer?.acks).toHaveLength(2);
    expect(call.request.events).toEqual([]);
  });

  it('takes the event out of a Submit request the same way', async () => {
    const seen: (readonly eventV1.DataEvent[])[] = [];
    const service = ingestServiceImplementation(takingCalls(seen), 8);
    const one = event('a');
    const call = { metadata: new Metadata(), request: { event: one } as ingestV1.SubmitRequest };
    const answer = await new Promise<ingestV1.SubmitResponse | null | undefined>((resolve, reject) =>
      service.submit(call as never, (error, value) => (error ? reject(error) : resolve(value))),
    );
    expect(seen).toEqual([[one]]);
    expect(answer?.ack).toBeDefined();
    expect(call.request.event).toBeUndefined();
  });
});
