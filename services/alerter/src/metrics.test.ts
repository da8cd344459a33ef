import { createRegistry } from '@msi/service-kit';
import { describe, expect, it } from 'vitest';
import { createAlerterMetrics, type StreamLag } from './metrics.js';

describe('alerter metrics', () => {
  it('reports the stream lag computed at scrape time, and none while standing by or when it fails', async () => {
    const registry = createRegistry('alerter');
    let lag: () => Promise<StreamLag> = async () => ({ events: 15, rounds: 0 });
    createAlerterMetrics(registry, () => lag());
    const scrape = () => registry.getSingleMetricAsString('msi_alerter_stream_lag');

    const active = await scrape();
    expect(active).toMatch(/msi_alerter_stream_lag\{stream="events",service="alerter"\} 15/);
    expect(active).toMatch(/msi_alerter_stream_lag\{stream="rounds",service="alerter"\} 0/);

    lag = async () => ({});
    expect(await scrape()).not.toMatch(/msi_alerter_stream_lag\{/);

    lag = async () => {
      throw new Error('NATS away');
    };
    expect(await scrape()).not.toMatch(/msi_alerter_stream_lag\{/);
    // The rest of /metrics still renders.
    expect(await registry.metrics()).toMatch(/msi_alerter_leader\{service="alerter"\} 0/);
  });
});
