import { type Alert, alertToJson, alertToProto } from '@msi/alerter';
import { formatUuid, mintUuidV7 } from '@msi/core';
import { alerterV1 } from '@msi/proto';
import { describe, expect, it } from 'vitest';
import { alertJsonOf } from './alert-json.js';

const eventId = mintUuidV7(1_764_000_000_000, new Uint8Array(16).fill(7));
const ALERT: Alert = {
  alertId: 'ab'.repeat(32),
  sequence: 42,
  rule: 'reader-not-allowed',
  severity: 'high',
  category: 'policy',
  tenant: 'acme',
  message: 'mallory read sha256:…, whose readers are crm-export',
  dedupeKey: 'actor=mallory',
  eventIds: [eventId],
  anchoredRound: 812,
  firstSeenUs: 1_764_000_000_000_123,
  lastSeenUs: 1_764_000_005_000_000,
  occurrences: 3,
  status: 'acknowledged',
  acknowledgedBy: 'dev-operator',
  acknowledgedAtUs: 1_764_000_009_000_000,
  acknowledgeNote: 'mallory is the new intern',
  details: { 'fact.readers': 'crm-export' },
  policyDigest: 'cd'.repeat(32),
};

describe('alertJsonOf', () => {
  it("prints what the alerter's own alertToJson prints, from the wire form (the shapes cannot drift)", () => {
    expect(alertJsonOf(alertToProto(ALERT))).toEqual(alertToJson(ALERT));
    const unanchored: Alert = { ...ALERT, anchoredRound: undefined, status: 'open', eventIds: [] };
    expect(alertJsonOf(alertToProto(unanchored))).toEqual(alertToJson(unanchored));
    expect(alertJsonOf(alertToProto(ALERT)).event_ids).toEqual([formatUuid(eventId)]);
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
