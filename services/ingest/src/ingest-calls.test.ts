import { CredentialStore, createLogger, SecurityReporter } from '@msi/service-kit';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { Admission } from './admission.js';
import { IngestCalls } from './ingest-calls.js';
import type { Ack } from './ingest-pipeline.js';
import { createIngestMetrics } from './metrics.js';
import type { PreparedEvent } from './prepare-events.js';

/** IngestCalls over a pipeline that answers after `latencyMs` of an injected clock. */
function callsWith(latencyMs: number, acks: readonly Ack[]) {
  let clock = 1_000_000;
  const registry = new Registry();
  const metrics = createIngestMetrics(registry, () => 0);
  const calls = new IngestCalls({
    credentials: CredentialStore.fromJson('{"credentials": []}'),
    pipeline: {
      async submit() {
        clock += latencyMs;
        return [...acks];
      },
    },
    security: new SecurityReporter({ service: 'ingest', send: () => {}, nowMs: () => clock, perSecond: 1 }),
    metrics,
    admission: new Admission(10),
    isServing: () => true,
    stamp: () => {
      throw new Error('not used');
    },
    nowMs: () => clock,
    maxWaitMs: 1000,
    log: createLogger({ service: 'ingest', level: 'error' }),
  });
  return { calls, registry };
}

const durable: Ack = {
  kind: 'durable',
  eventId: new Uint8Array(16),
  leafHash: new Uint8Array(32),
  shard: 0,
  expectedRound: 3,
  receivedAtUs: 1_000_000_000,
  duplicate: false,
};

describe('IngestCalls.process', () => {
  it('observes the time from admission to the acks in msi_ingest_ack_seconds, once per request', async () => {
    const { calls, registry } = callsWith(7, [durable]);
    const event = { shard: 0 } as PreparedEvent; // the pipeline above never reads it
    const answer = await calls.process({ events: [event], slots: [0, 0] }, Number.MAX_SAFE_INTEGER);
    expect(answer).toHaveLength(2);
    const text = await registry.getSingleMetricAsString('msi_ingest_ack_seconds');
    expect(text).toMatch(/^msi_ingest_ack_seconds_count 1$/m);
    expect(text).toMatch(/^msi_ingest_ack_seconds_sum 0\.007$/m);
    expect(text).toMatch(/^msi_ingest_ack_seconds_bucket\{le="0\.005"\} 0$/m);
    expect(text).toMatch(/^msi_ingest_ack_seconds_bucket\{le="0\.01"\} 1$/m);
    const acked = (await registry.getSingleMetric('msi_ingest_events_acked_total')?.get())?.values[0];
    expect(acked?.value).toBe(1);
  });
});

describe('msi_ingest_claim_index_ids', () => {
  it('reports the claim index size on every scrape', async () => {
    const registry = new Registry();
    let size = 3;
    createIngestMetrics(registry, () => size);
    expect(await registry.getSingleMetricAsString('msi_ingest_claim_index_ids')).toMatch(
      /^msi_ingest_claim_index_ids 3$/m,
    );
    size = 12_345;
    expect(await registry.getSingleMetricAsString('msi_ingest_claim_index_ids')).toMatch(
      /^msi_ingest_claim_index_ids 12345$/m,
    );
  });
});
