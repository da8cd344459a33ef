import {
  type RecordedSpans,
  recordSpans,
  spanContextOfHeaders,
  traced,
  traceHeaders,
} from '@msi/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishSpan } from './batch-span.js';
import { ShardBatcher } from './shard-batcher.js';

let recorded: RecordedSpans;
beforeAll(() => {
  recorded = recordSpans('ingest');
});
afterAll(() => recorded.stop());

describe('ingest.publish_batch', () => {
  it('continues the first call whose events the batch holds, links to the others, and sends its traceparent', async () => {
    const sent: ReturnType<typeof traceHeaders>[] = [];
    const batcher = new ShardBatcher<Uint8Array, string>({
      shard: 1,
      maxItems: 100,
      maxBytes: 1_000_000,
      lingerMs: 5,
      claimWindowMs: 10_000,
      bytesOf: (event) => event.length,
      nextBatchId: () => 'ingest-a-1',
      publish: ({ items, ...batch }) =>
        traced('ingest.publish_batch', publishSpan('msi.events.1', { ...batch, events: items }), async () => {
          sent.push(traceHeaders());
          return 'published';
        }),
      nowMs: Date.now,
    });
    const call = (name: string, event: Uint8Array) =>
      traced(name, { kind: 'server' }, async () => {
        const slot = batcher.add(event);
        return slot.outcome;
      });
    await Promise.all([call('first', new Uint8Array([1])), call('second', new Uint8Array([2]))]);

    const first = recorded.one('first').spanContext();
    const second = recorded.one('second').spanContext();
    const publish = recorded.one('ingest.publish_batch');
    expect(publish.spanContext().traceId).toBe(first.traceId);
    expect(publish.parentSpanContext?.spanId).toBe(first.spanId);
    expect(publish.links.map((link) => link.context.spanId)).toEqual([second.spanId]);
    expect(publish.attributes).toEqual({
      'messaging.system': 'nats',
      'messaging.operation.type': 'send',
      'messaging.destination.name': 'msi.events.1',
      'messaging.message.id': 'ingest-a-1',
      'messaging.batch.message_count': 2,
      'msi.shard': 1,
    });
    expect(spanContextOfHeaders(sent[0])?.spanId).toBe(publish.spanContext().spanId);
  });
});
