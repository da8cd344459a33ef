import { formatUuid, mintUuidV7 } from '@msi/core';
import { alerterV1 } from '@msi/proto';
import { describe, expect, it } from 'vitest';
import { alertJsonOf } from './alert-json.js';

const eventId = mintUuidV7(1_764_000_000_000, new Uint8Array(16).fill(7));
const ALERT = alerterV1.Alert.fromPartial({
  alertId: 'ab'.repeat(32),
  sequence: 42n,
  rule: 'reader-not-allowed',
  severity: alerterV1.Severity.SEVERITY_HIGH,
  category: alerterV1.Category.CATEGORY_POLICY,
  tenant: 'acme',
  message: 'mallory read sha256:…, whose readers are crm-export',
  dedupeKey: 'actor=mallory',
  eventIds: [Buffer.from(eventId)],
  anchoredRound: 812n,
  firstSeenUs: 1_764_000_000_000_123n,
  lastSeenUs: 1_764_000_005_000_000n,
  occurrences: 3n,
  status: alerterV1.Status.STATUS_ACKNOWLEDGED,
  acknowledgedBy: 'dev-operator',
  acknowledgedAtUs: 1_764_000_009_000_000n,
  acknowledgeNote: 'mallory is the new intern',
  details: { 'fact.readers': 'crm-export' },
  policyDigest: 'cd'.repeat(32),
});

describe('alertJsonOf', () => {
  it('prints every field in snake_case, ids as UUID text, enums by name, an unanchored round as null', () => {
    expect(alertJsonOf(ALERT)).toEqual({
      alert_id: 'ab'.repeat(32),
      sequence: 42,
      rule: 'reader-not-allowed',
      severity: 'high',
      category: 'policy',
      tenant: 'acme',
      message: 'mallory read sha256:…, whose readers are crm-export',
      dedupe_key: 'actor=mallory',
      event_ids: [formatUuid(eventId)],
      anchored_round: 812,
      first_seen_us: 1_764_000_000_000_123,
      last_seen_us: 1_764_000_005_000_000,
      occurrences: 3,
      status: 'acknowledged',
      acknowledged_by: 'dev-operator',
      acknowledged_at_us: 1_764_000_009_000_000,
      acknowledge_note: 'mallory is the new intern',
      details: { 'fact.readers': 'crm-export' },
      policy_digest: 'cd'.repeat(32),
    });
    expect(alertJsonOf({ ...ALERT, anchoredRound: 0n }).anchored_round).toBeNull();
  });

  it('names enum values it does not know "unknown" and event ids that are not UUIDs in hex', () => {
    const odd = alerterV1.Alert.fromPartial({
      severity: 9 as alerterV1.Severity,
      category: 9 as alerterV1.Category,
      eventIds: [Buffer.from([1, 2, 3])],
    });
    expect(alertJsonOf(odd)).toMatchObject({
      severity: 'unknown',
      category: 'unknown',
      event_ids: ['010203'],
    });
  });
});
