import { formatUuid, mintUuidV7 } from '@msi/core';
import { alerterV1 } from '@msi/proto';
import { describe, expect, it } from 'vitest';
import { formatAlertLine } from './alert-line.js';

const eventId = mintUuidV7(1_764_000_000_000, new Uint8Array(16).fill(7));
const alert = alerterV1.Alert.fromPartial({
  alertId: 'ab'.repeat(32),
  rule: 'pii-outside-allowed-regions',
  severity: alerterV1.Severity.SEVERITY_HIGH,
  tenant: 'acme',
  message: 'backup-sync transferred pii sha256:11 to us-east-1 (s3)',
  eventIds: [Buffer.from(eventId)],
  anchoredRound: 33n,
  firstSeenUs: BigInt(Date.UTC(2026, 10, 25, 2, 37, 0)) * 1000n,
  occurrences: 1n,
  status: alerterV1.Status.STATUS_OPEN,
});
const plain = { color: false, offsetMinutes: () => 60 };

describe('formatAlertLine', () => {
  it('shows time (local), severity, rule, tenant, message, first event, round and id', () => {
    expect(formatAlertLine(alert, plain)).toBe(
      `2026-11-25T03:37:00+01:00  HIGH      pii-outside-allowed-regions  acme  backup-sync transferred pii sha256:11 to us-east-1 (s3)  event ${formatUuid(eventId)}  round 33  id ${'ab'.repeat(32)}`,
    );
  });

  it('adds the occurrences when > 1 and the acknowledgement; says system for no tenant; no round when unanchored', () => {
    const line = formatAlertLine(
      {
        ...alert,
        tenant: '',
        occurrences: 4n,
        anchoredRound: 0n,
        eventIds: [],
        status: alerterV1.Status.STATUS_ACKNOWLEDGED,
        acknowledgedBy: 'dev-operator',
      },
      plain,
    );
    expect(line).toMatch(
      / HIGH {6}pii-outside-allowed-regions {2}system {2}.* {2}×4 {2}\[acknowledged by dev-operator\] {2}id /,
    );
    expect(line).not.toMatch(/round|event/);
  });

  it('colours only when asked, and never lets the server write control characters', () => {
    const hostile = { ...alert, message: 'evil\x1b[2J\nsecond line' };
    expect(formatAlertLine(hostile, plain)).toContain('evil [2J second line');
    expect(formatAlertLine(hostile, plain)).not.toContain('\x1b');
    const colored = formatAlertLine(alert, { ...plain, color: true });
    expect(colored).toContain('\x1b[31mHIGH    \x1b[0m');
  });
});
