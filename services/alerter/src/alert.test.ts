import { alerterV1 } from '@msi/proto';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { type Alert, alertIdOf, alertToJson, alertToProto } from './alert.js';

const alert: Alert = {
  alertId: 'ab'.repeat(32),
  sequence: 7,
  rule: 'reader-not-allowed',
  severity: 'high',
  category: 'policy',
  tenant: 'acme',
  message: 'mallory read sha256:…',
  dedupeKey: 'reader-not-allowed|acme|actor=mallory',
  eventIds: [Uint8Array.from({ length: 16 }, (_, i) => i)],
  anchoredRound: 12,
  firstSeenUs: 1_000,
  lastSeenUs: 2_000,
  occurrences: 2,
  status: 'open',
  acknowledgedBy: '',
  acknowledgedAtUs: 0,
  acknowledgeNote: '',
  details: { actor: 'mallory' },
  policyDigest: 'cd'.repeat(32),
};

describe('alert', () => {
  it('ids are SHA-256 over rule, dedupe key and trigger, newline-separated', () => {
    const expected = bytesToHex(sha256(utf8ToBytes('r\nk\nt')));
    expect(alertIdOf({ rule: 'r', dedupeKey: 'k', trigger: 't' })).toBe(expected);
    expect(alertIdOf({ rule: 'r', dedupeKey: 'k', trigger: 'u' })).not.toBe(expected);
  });

  it('maps to the wire form and back through protobuf', () => {
    const bytes = alerterV1.Alert.encode(alertToProto(alert)).finish();
    const decoded = alerterV1.Alert.decode(bytes);
    expect(decoded.severity).toBe(alerterV1.Severity.SEVERITY_HIGH);
    expect(decoded.category).toBe(alerterV1.Category.CATEGORY_POLICY);
    expect(decoded.status).toBe(alerterV1.Status.STATUS_OPEN);
    expect(decoded.anchoredRound).toBe(12n);
    expect(decoded.occurrences).toBe(2n);
    expect([...(decoded.eventIds[0] ?? [])]).toEqual([...(alert.eventIds[0] ?? [])]);
    expect(decoded.details).toEqual({ actor: 'mallory' });
  });

  it('JSON names event ids as UUID text and an unanchored round as null', () => {
    const json = alertToJson({ ...alert, anchoredRound: undefined });
    expect(json.event_ids).toEqual(['00010203-0405-0607-0809-0a0b0c0d0e0f']);
    expect(json.anchored_round).toBeNull();
    expect(json.severity).toBe('high');
  });
});
