import { Metadata } from '@grpc/grpc-js';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { SpanKind, SpanStatusCode, TraceFlags } from '@opentelemetry/api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { spanContextOfMetadata } from './grpc-trace-metadata.js';
import { spanContextOfHeaders, traceHeaders } from './nats-trace-headers.js';
import { type RecordedSpans, recordSpans } from './recorded-spans.js';
import { MAX_SPAN_LINKS, TraceLinks } from './trace-links.js';
import { traced } from './traced.js';

let recorded: RecordedSpans;

beforeAll(() => {
  recorded = recordSpans();
});
afterAll(() => recorded.stop());
beforeEach(() => recorded.reset());

const finished = (name: string) => recorded.one(name);

const sampled = (traceId: string, spanId: string, flags = TraceFlags.SAMPLED) => ({
  traceId,
  spanId,
  traceFlags: flags,
});

describe('traced', () => {
  it('makes its span active for the work: headers published inside carry it', async () => {
    let carried: ReturnType<typeof traceHeaders>;
    await traced('outer', { kind: 'producer', attributes: { 'msi.shard': 3 } }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      carried = traceHeaders();
    });
    const span = finished('outer');
    expect(span.kind).toBe(SpanKind.PRODUCER);
    expect(span.attributes).toEqual({ 'msi.shard': 3 });
    const context = spanContextOfHeaders(carried);
    expect(context).toMatchObject({ traceId: span.spanContext().traceId, spanId: span.spanContext().spanId });
    expect(carried?.get('traceparent')).toBe(
      `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`,
    );
  });

  it('continues the span a message carries, and starts a root span that links to many', async () => {
    const headers = natsHeaders();
    headers.set('traceparent', `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`);
    await traced('child', { parent: spanContextOfHeaders(headers) }, async () => {});
    expect(finished('child').parentSpanContext?.spanId).toBe('b'.repeat(16));
    expect(finished('child').spanContext().traceId).toBe('a'.repeat(32));

    const links = new TraceLinks();
    for (let i = 1; i <= MAX_SPAN_LINKS + 5; i++)
      links.add(sampled('c'.repeat(32), i.toString(16).padStart(16, '0')));
    links.add(sampled('c'.repeat(32), `${'0'.repeat(15)}1`)); // the same span twice is one link
    await traced('seal', { parent: 'root', links }, async () => {});
    const seal = finished('seal');
    expect(seal.parentSpanContext).toBeUndefined();
    expect(seal.links).toHaveLength(MAX_SPAN_LINKS);
    expect(seal.droppedLinksCount).toBe(0);
    expect(seal.attributes['msi.links.dropped']).toBe(5);
  });

  it('continues the first sampled span it links to, linking the others', async () => {
    const links = new TraceLinks();
    links.add(sampled('1'.repeat(32), '1'.repeat(16), TraceFlags.NONE));
    links.add(sampled('2'.repeat(32), '2'.repeat(16)));
    links.add(sampled('3'.repeat(32), '3'.repeat(16)));
    await traced('publish', { links, continueFirstLink: true }, async () => {});
    const span = finished('publish');
    expect(span.spanContext().traceId).toBe('2'.repeat(32));
    expect(span.links.map((link) => link.context.spanId)).toEqual(['3'.repeat(16)]);
  });

  it('does not sample work caused only by unsampled spans (parent-based)', async () => {
    const links = new TraceLinks();
    links.add(sampled('4'.repeat(32), '4'.repeat(16), TraceFlags.NONE));
    await traced('unsampled', { links, continueFirstLink: true }, async () => {});
    expect(recorded.finished()).toHaveLength(0);
  });

  it('records a failure by its code, never its message, and rethrows it', async () => {
    const failure = Object.assign(new Error('actor "alice" is not allowed'), { code: 'PERMISSION_DENIED' });
    await expect(
      traced('fails', {}, async () => {
        throw failure;
      }),
    ).rejects.toBe(failure);
    const span = finished('fails');
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'PERMISSION_DENIED' });
    expect(span.attributes['error.type']).toBe('PERMISSION_DENIED');
    expect(JSON.stringify(span.attributes)).not.toContain('alice');
  });

  it('ignores malformed trace context in headers and metadata (hostile input)', () => {
    const headers = natsHeaders();
    headers.set('traceparent', 'not-a-traceparent');
    expect(spanContextOfHeaders(headers)).toBeUndefined();
    expect(spanContextOfHeaders(undefined)).toBeUndefined();
    const metadata = new Metadata();
    metadata.set('traceparent', `00-${'0'.repeat(32)}-${'b'.repeat(16)}-01`); // all-zero trace id: invalid
    expect(spanContextOfMetadata(metadata)).toBeUndefined();
    metadata.set('traceparent', `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`);
    expect(spanContextOfMetadata(metadata)).toMatchObject({
      traceId: 'a'.repeat(32),
      spanId: 'b'.repeat(16),
    });
  });
});
