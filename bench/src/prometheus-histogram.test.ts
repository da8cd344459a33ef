import { describe, expect, it } from 'vitest';
import {
  histogramDelta,
  observations,
  parseHistogram,
  quantileBound,
  sumHistograms,
} from './prometheus-histogram.js';

const exposition = (counts: readonly number[], labels = 'service="ingest"') =>
  [
    '# HELP msi_ingest_ack_seconds Time from admission to acks',
    '# TYPE msi_ingest_ack_seconds histogram',
    `msi_ingest_ack_seconds_bucket{le="0.01",${labels}} ${counts[0]}`,
    `msi_ingest_ack_seconds_bucket{le="0.05",${labels}} ${counts[1]}`,
    `msi_ingest_ack_seconds_bucket{le="0.1",${labels}} ${counts[2]}`,
    `msi_ingest_ack_seconds_bucket{le="+Inf",${labels}} ${counts[3]}`,
    `msi_ingest_ack_seconds_sum{${labels}} 12.5`,
    `msi_ingest_ack_seconds_count{${labels}} ${counts[3]}`,
    `msi_ingest_publish_seconds_bucket{le="0.01",${labels}} 999`,
  ].join('\n');

describe('prometheus histogram', () => {
  it('reads one metric’s buckets (summed over label sets), not another’s, sorted by bound', () => {
    const text = `${exposition([1, 2, 3, 4])}\n${exposition([10, 20, 30, 40], 'service="ingest",code="OK"')}`;
    expect([...parseHistogram(text, 'msi_ingest_ack_seconds')]).toEqual([
      [0.01, 11],
      [0.05, 22],
      [0.1, 33],
      [Number.POSITIVE_INFINITY, 44],
    ]);
    expect(parseHistogram(text, 'msi_missing').size).toBe(0);
  });

  it('says which bucket holds a quantile of what was observed between two readings, over processes', () => {
    const before = sumHistograms([
      parseHistogram(exposition([100, 100, 100, 100]), 'msi_ingest_ack_seconds'),
      parseHistogram(exposition([0, 0, 0, 0]), 'msi_ingest_ack_seconds'),
    ]);
    const after = sumHistograms([
      parseHistogram(exposition([190, 197, 199, 200]), 'msi_ingest_ack_seconds'),
      parseHistogram(exposition([0, 0, 0, 0]), 'msi_ingest_ack_seconds'),
    ]);
    const phase = histogramDelta(before, after);
    expect(observations(phase)).toBe(100);
    expect(quantileBound(phase, 0.5)).toBe(0.01); // 90 of 100 within 10 ms
    expect(quantileBound(phase, 0.95)).toBe(0.05); // 97 within 50 ms
    expect(quantileBound(phase, 0.99)).toBe(0.1); // 99 within 100 ms
    expect(quantileBound(phase, 1)).toBe(Number.POSITIVE_INFINITY); // the last one beyond
    expect(quantileBound(histogramDelta(after, after), 0.5)).toBeUndefined();
  });
});
