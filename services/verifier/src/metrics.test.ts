import { verifierV1 } from '@msi/proto';
import { createRegistry, startMetricsServer } from '@msi/service-kit';
import { describe, expect, it } from 'vitest';
import { createVerifierMetrics, failureKindLabel } from './metrics.js';

describe('verifier metrics', () => {
  it('labels failure kinds by their proto name', () => {
    expect(failureKindLabel(verifierV1.IntegrityFailureKind.INTEGRITY_FAILURE_KIND_SEAL_MISMATCH)).toBe(
      'seal_mismatch',
    );
    expect(failureKindLabel(99 as verifierV1.IntegrityFailureKind)).toBe('kind_99');
  });

  it('serves every metric on /metrics, the lag computed at scrape time', async () => {
    const registry = createRegistry('verifier');
    let positions = { events: { applied: 10, last: 25 }, rounds: { applied: 3, last: 3 } };
    const metrics = createVerifierMetrics(registry, async () => positions);
    metrics.eventsApplied.inc(7);
    metrics.sealsApplied.inc({ verified: 'true' });
    metrics.roundsApplied.inc({ verified: 'false' });
    metrics.checkpointsApplied.inc();
    metrics.integrityFailures.inc({ kind: 'checkpoint_invalid' });
    metrics.getReceiptSeconds.observe({ code: 'OK' }, 0.003);
    metrics.receiptsServed.inc();
    const server = await startMetricsServer(registry, { host: '127.0.0.1', port: 0, healthy: () => true });
    try {
      const scrape = async () => (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
      const text = await scrape();
      expect(text).toMatch(/msi_verifier_projection_lag\{stream="events",service="verifier"\} 15/);
      expect(text).toMatch(/msi_verifier_projection_lag\{stream="rounds",service="verifier"\} 0/);
      expect(text).toMatch(
        /msi_verifier_projection_applied_sequence\{stream="events",service="verifier"\} 10/,
      );
      expect(text).toMatch(/msi_verifier_events_applied_total\{service="verifier"\} 7/);
      expect(text).toMatch(/msi_verifier_seals_applied_total\{verified="true",service="verifier"\} 1/);
      expect(text).toMatch(/msi_verifier_rounds_applied_total\{verified="false",service="verifier"\} 1/);
      expect(text).toMatch(/msi_verifier_checkpoints_applied_total\{service="verifier"\} 1/);
      expect(text).toMatch(
        /msi_verifier_integrity_failures_total\{kind="checkpoint_invalid",service="verifier"\} 1/,
      );
      expect(text).toMatch(/msi_verifier_get_receipt_seconds_bucket\{[^}]*le="0.005"[^}]*\} 1/);
      expect(text).toMatch(/msi_verifier_receipts_served_total\{service="verifier"\} 1/);
      positions = { events: { applied: 25, last: 25 }, rounds: { applied: 3, last: 4 } };
      const later = await scrape();
      expect(later).toMatch(/msi_verifier_projection_lag\{stream="events",service="verifier"\} 0/);
      expect(later).toMatch(/msi_verifier_projection_lag\{stream="rounds",service="verifier"\} 1/);
    } finally {
      await server.close();
    }
  });
});
