import { createRegistry } from '@msi/service-kit';
import { describe, expect, it } from 'vitest';
import { createPublicationMetrics } from './metrics.js';

describe('publication metrics', () => {
  it('reports the newest publication time at scrape time, 0 before the first, the last value when the read fails', async () => {
    const registry = createRegistry('calendar');
    let latest: () => Promise<number | undefined> = async () => undefined;
    createPublicationMetrics(registry, () => latest());
    const scrape = () => registry.getSingleMetricAsString('msi_calendar_last_publication_timestamp_seconds');

    expect(await scrape()).toMatch(
      /^msi_calendar_last_publication_timestamp_seconds\{service="calendar"\} 0$/m,
    );
    latest = async () => 1_780_000_000;
    expect(await scrape()).toMatch(/\{service="calendar"\} 1780000000$/m);
    latest = async () => {
      throw new Error('database away');
    };
    expect(await scrape()).toMatch(/\{service="calendar"\} 1780000000$/m);
    latest = async () => 1_780_086_400;
    expect(await scrape()).toMatch(/\{service="calendar"\} 1780086400$/m);
  });
});
