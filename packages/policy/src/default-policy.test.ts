import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CUSTOMERS, CUSTOMERS_TEXT, factsAbout, testEvent, utcMicros } from './events.test-helper.js';
import { NO_FACTS } from './facts.js';
import { parsePolicy } from './parse-policy.js';
import type { Policy } from './policy.js';

// The policy the alerter ships, with the events of the demo story (packages/cli/src/demo-story.ts).
const FILE = new URL('../../../services/alerter/policies/default.yaml', import.meta.url);
const policy: Policy = parsePolicy(readFileSync(FILE, 'utf8'), { source: 'default.yaml' });

const rule = (id: string) => {
  const found = policy.rules.find((r) => r.id === id);
  if (found === undefined) throw new Error(`default.yaml has no rule ${id}`);
  return found;
};

describe('default.yaml', () => {
  it('has the four rules, the custody and integrity defaults, and no webhook', () => {
    expect(policy.rules.map((r) => [r.id, r.severity, r.evaluate])).toEqual([
      ['pii-outside-allowed-regions', 'high', 'arrival'],
      ['reader-not-allowed', 'high', 'anchored'],
      ['processing-outside-business-hours', 'medium', 'arrival'],
      ['deletion-under-retention-hold', 'critical', 'anchored'],
    ]);
    expect(policy.custody.unknownProvenance).toEqual({
      enabled: true,
      severity: 'medium',
      tenants: undefined,
    });
    expect(policy.integrity.sealSlaRounds).toBe(3);
    expect(policy.webhooks).toEqual([]);
  });

  it('pii-outside-allowed-regions: a pii TRANSFER to us-east-1 fires, to eu-central-1 does not', () => {
    const transfer = (region: string, classification = 'pii') =>
      testEvent({
        kind: 'TRANSFER',
        actor: 'backup-sync',
        source: { system: 's3', region: 'eu-west-1', host: 'acme-raw' },
        destination: { system: 's3', region, host: 'acme-backup' },
        attributes: [{ key: 'classification', value: classification }],
      });
    const hit = rule('pii-outside-allowed-regions').match(transfer('us-east-1'), NO_FACTS);
    expect(hit?.message).toBe(`backup-sync transferred pii ${CUSTOMERS_TEXT} to us-east-1 (s3)`);
    expect(hit?.details['destination.region']).toBe('us-east-1');
    expect(hit?.dedupeKey).toBe(
      `pii-outside-allowed-regions|acme|actor=backup-sync data=${CUSTOMERS_TEXT} destination.region=us-east-1`,
    );
    expect(rule('pii-outside-allowed-regions').match(transfer('eu-central-1'), NO_FACTS)).toBeUndefined();
    expect(
      rule('pii-outside-allowed-regions').match(transfer('us-east-1', 'public'), NO_FACTS),
    ).toBeUndefined();
  });

  it('reader-not-allowed: an ACCESS by mallory fires when readers are known, an allowed reader does not', () => {
    const facts = factsAbout('acme', CUSTOMERS, { readers: 'crm-export,etl-customer-orders' });
    const hit = rule('reader-not-allowed').match(testEvent({ actor: 'mallory' }), facts);
    expect(hit?.message).toBe(
      `mallory read ${CUSTOMERS_TEXT}, whose readers are crm-export,etl-customer-orders`,
    );
    expect(
      rule('reader-not-allowed').match(testEvent({ actor: 'etl-customer-orders' }), facts),
    ).toBeUndefined();
    expect(rule('reader-not-allowed').match(testEvent({ actor: 'mallory' }), NO_FACTS)).toBeUndefined();
  });

  it('processing-outside-business-hours: acme PROCESS on a Saturday fires, on a Wednesday at 10:00 Berlin does not', () => {
    const process = (occurredAt: number, tenant = 'acme') =>
      testEvent({ tenant, kind: 'PROCESS', actor: 'etl-customer-orders', occurredAt });
    const saturday = utcMicros(2026, 1, 17, 9, 0); // 10:00 in Berlin
    const hit = rule('processing-outside-business-hours').match(process(saturday), NO_FACTS);
    expect(hit?.message).toBe(
      `etl-customer-orders processed ${CUSTOMERS_TEXT} on sat 2026-01-17 at 10:00 (local time)`,
    );
    expect(
      rule('processing-outside-business-hours').match(process(utcMicros(2026, 1, 14, 9, 0)), NO_FACTS),
    ).toBeUndefined();
    // 17:30 UTC on a Wednesday is 18:30 in Berlin: outside.
    expect(
      rule('processing-outside-business-hours').match(process(utcMicros(2026, 1, 14, 17, 30)), NO_FACTS),
    ).toBeDefined();
    // globex has no business hours: never fires.
    expect(
      rule('processing-outside-business-hours').match(process(saturday, 'globex'), NO_FACTS),
    ).toBeUndefined();
  });

  it('deletion-under-retention-hold: a DELETE under a hold fires, without one does not', () => {
    const del = testEvent({ kind: 'DELETE', actor: 'retention-job' });
    const hold = factsAbout('acme', CUSTOMERS, { retention_hold: 'true' });
    expect(rule('deletion-under-retention-hold').match(del, hold)?.message).toBe(
      `retention-job deleted ${CUSTOMERS_TEXT}, which is under a retention hold`,
    );
    const released = factsAbout('acme', CUSTOMERS, { retention_hold: 'false' });
    expect(rule('deletion-under-retention-hold').match(del, released)).toBeUndefined();
    expect(rule('deletion-under-retention-hold').match(del, NO_FACTS)).toBeUndefined();
  });
});
