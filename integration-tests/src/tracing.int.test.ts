import { createClient, type EmittedIndividual, Events, hashBytes } from '@msi/client';
import { eventually, useWorld } from '@msi/testkit';
import { describe, expect, it } from 'vitest';
import { type ReceivedSpan, startOtlpReceiver } from './otlp-receiver.js';

const API_KEY = 'test-key-acme-emitter';
// Values that must never reach a span: the event's actor and its attribute's value.
const ACTOR = 'actor-alice-7f3c';
const ATTRIBUTE_VALUE = 'attribute-secret-91d2';

let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;

const world = useWorld({
  label: 'tracing',
  pipeline: async ({ defer }) => {
    receiver = await startOtlpReceiver();
    defer(() => receiver.close());
    const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url };
    return {
      shards: 2,
      verifier: true,
      apiKeys: [{ key: API_KEY, tenant: 'acme', principal: 'etl-gateway', roles: ['emitter'] }],
      extraEnv: { ingest: otel, aggregator: otel, calendar: otel, verifier: otel },
    };
  },
});

function event() {
  return Events.store({
    data: hashBytes('traced object'),
    actor: ACTOR,
    destination: { system: 's3', region: 'eu-west-1', host: 'bucket-a' },
    attributes: { classification: ATTRIBUTE_VALUE },
  });
}

/** The one span named `name` that `match` accepts, once exported. */
const spanOf = (name: string, match: (span: ReceivedSpan) => boolean) =>
  eventually(`a ${name} span`, () => receiver.spans.find((span) => span.name === name && match(span)), {
    timeoutMs: 60_000,
    detail: () =>
      `spans so far: ${receiver.spans.map((s) => `${s.service}/${s.name}`).join(', ')}\n${world.logTail()}`,
  });

const linksTo = (span: ReceivedSpan, target: ReceivedSpan) =>
  span.links.some((link) => link.traceId === target.traceId && link.spanId === target.spanId);

describe('tracing with an OTLP endpoint set (real processes, a real OTLP/HTTP receiver)', () => {
  it('one emitted event: ingest → publish → seal → round → projection, joined by parents and links', async () => {
    const client = createClient({ ingest: world.pipeline.ingestAddress, apiKey: API_KEY, insecure: true });
    const ack = (await client.emit(event())) as EmittedIndividual;
    await client.close();
    expect(ack.mode).toBe('individual');

    const call = await spanOf('ingest.SubmitBatch', () => true);
    expect(call).toMatchObject({ service: 'ingest', parentSpanId: '' });
    expect(call.attributes).toMatchObject({ 'rpc.method': 'SubmitBatch', 'msi.events': 1 });
    const publish = await spanOf('ingest.publish_batch', (s) => s.parentSpanId === call.spanId);
    expect(publish.traceId).toBe(call.traceId);
    const seal = await spanOf('aggregator.seal', (s) => linksTo(s, publish));
    expect(seal.service).toBe('aggregator');
    const round = await spanOf('calendar.round', (s) => linksTo(s, seal));
    expect(round.service).toBe('calendar');
    expect(round.attributes['msi.round.outcome']).toBe('appended');
    const projectedSeal = await spanOf('verifier.project_seal', (s) => s.parentSpanId === seal.spanId);
    expect(projectedSeal).toMatchObject({ service: 'verifier', traceId: seal.traceId });
    const projectedRound = await spanOf(
      'verifier.project_round',
      (s) => s.parentSpanId === round.spanId && s.attributes['msi.applied'] === true,
    );
    expect(projectedRound).toMatchObject({ service: 'verifier', traceId: round.traceId });

    // Nothing of the event's content was exported: not in attributes, names, or anywhere in a body.
    for (const body of receiver.bodies) {
      expect(body).not.toContain(ACTOR);
      expect(body).not.toContain(ATTRIBUTE_VALUE);
    }
  });
});
