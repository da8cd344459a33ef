import { type DataEvent, encodeEvent, imprintOf, mintUuidV7 } from '@msi/core';
import { streamV1 } from '@msi/proto';
import type { JetStreamManager } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { StagedEvents } from './staged-events.js';

const AT_MS = 1_800_000_000_000;

function event(i: number): DataEvent {
  const random = new Uint8Array(16).fill(i);
  return {
    tenant: 'acme',
    eventId: mintUuidV7(AT_MS + i, random),
    kind: 'ACCESS',
    data: imprintOf('sha256', new Uint8Array([i])),
    inputs: [],
    outputs: [],
    toTenant: '',
    actor: `actor-${i}`,
    submitter: 'acme-gateway',
    source: { system: 's3', region: 'eu-west-1', host: '' },
    destination: { system: '', region: '', host: '' },
    occurredAt: (AT_MS + i) * 1000,
    receivedAt: (AT_MS + i) * 1000,
    parents: [],
    attributes: [{ key: 'classification', value: 'pii' }],
    nonce: new Uint8Array(16),
  };
}

function batch(events: readonly DataEvent[]): Uint8Array {
  return streamV1.EventBatch.encode({
    version: 1,
    batchId: 'b',
    shard: 0,
    events: events.map((e) => Buffer.from(encodeEvent(e))),
  }).finish();
}

/** The events stream as the cache sees it on a miss: messages by sequence, counting the reads. */
function streamOf(messages: Map<number, Uint8Array>) {
  const reads: number[] = [];
  const jsm = {
    streams: {
      getMessage: async (_stream: string, { seq }: { seq: number }) => {
        reads.push(seq);
        const data = messages.get(seq);
        return data === undefined ? null : { data };
      },
    },
  } as unknown as JetStreamManager;
  return { jsm, reads };
}

describe('StagedEvents', () => {
  it('keeps batches as bytes within its budget, decodes them when asked, and reads the oldest back from the stream beyond it', async () => {
    const batches = new Map([1, 2, 3].map((seq) => [seq, batch([event(seq), event(seq + 10)])]));
    const size = batches.get(1)?.byteLength ?? 0;
    const { jsm, reads } = streamOf(batches);
    // Room for two batches, none decoded: the third pushes the first out.
    const staged = new StagedEvents(jsm, 'EVENTS', 2 * size + 1, 0);
    for (const [seq, data] of batches) {
      // a view into a larger buffer, as a NATS message's data may be: the cache keeps a copy
      const larger = new Uint8Array(data.byteLength + 100);
      larger.set(data, 50);
      staged.remember(seq, larger.subarray(50, 50 + data.byteLength), [event(seq), event(seq + 10)]);
      larger.fill(0);
    }
    expect(staged.cachedBytes).toBe(2 * size);
    expect((await staged.events(3)).map((e) => e.actor)).toEqual(['actor-3', 'actor-13']);
    expect((await staged.events(2)).map(encodeEvent)).toEqual([event(2), event(12)].map(encodeEvent));
    expect(reads).toEqual([]);
    expect((await staged.events(1)).map(encodeEvent)).toEqual([event(1), event(11)].map(encodeEvent));
    expect(reads).toEqual([1]);
    staged.forget([2, 3]);
    expect(staged.cachedBytes).toBe(0);
    await staged.events(2);
    expect(reads).toEqual([1, 2]);
  });

  it('keeps the events decoded on arrival while few are held, and bytes beyond', async () => {
    const events = new Map([1, 2, 3].map((seq) => [seq, [event(seq), event(seq + 10)]]));
    const { jsm, reads } = streamOf(new Map([...events].map(([seq, e]) => [seq, batch(e)])));
    const staged = new StagedEvents(jsm, 'EVENTS', 1024 * 1024, 3);
    const remember = (seq: number) =>
      staged.remember(seq, batch(events.get(seq) ?? []), events.get(seq) ?? []);
    remember(1);
    remember(2); // 2 + 2 events are more than 3: kept as bytes
    expect([staged.decodedEvents, staged.cachedBytes]).toEqual([2, batch(events.get(2) ?? []).byteLength]);
    const first = await staged.events(1);
    expect(first[0]).toBe(events.get(1)?.[0]); // the very objects: not decoded again
    expect((await staged.events(2)).map(encodeEvent)).toEqual([event(2), event(12)].map(encodeEvent));
    staged.forget([1, 2]);
    expect([staged.decodedEvents, staged.cachedBytes]).toEqual([0, 0]);
    remember(3); // room again
    expect(staged.decodedEvents).toBe(2);
    expect((await staged.events(3))[1]).toBe(events.get(3)?.[1]);
    expect(reads).toEqual([]);
  });

  it('says so when the stream no longer holds a batch it did not keep', async () => {
    const { jsm } = streamOf(new Map());
    await expect(new StagedEvents(jsm, 'EVENTS').events(7)).rejects.toThrow(
      'events stream message 7 is gone',
    );
  });
});
