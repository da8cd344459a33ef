import { readFileSync } from 'node:fs';
import { parseImprintText } from '@msi/core';
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
  it('has the eight rules, the custody and integrity defaults, and no webhook', () => {
    expect(policy.rules.map((r) => [r.id, r.severity, r.evaluate])).toEqual([
      ['pii-outside-allowed-regions', 'high', 'arrival'],
      ['reader-not-allowed', 'high', 'anchored'],
      ['processing-outside-business-hours', 'medium', 'arrival'],
      ['deletion-under-retention-hold', 'critical', 'anchored'],
      ['config-changed-outside-maintenance', 'high', 'arrival'],
      ['frozen-path-changed', 'critical', 'arrival'],
      ['executable-not-allowed', 'high', 'arrival'],
      ['agent-spool-full', 'high', 'arrival'],
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

  describe('the MSI agent rules', () => {
    const fileEvent = (attributes: Record<string, string>, overrides: Parameters<typeof testEvent>[0] = {}) =>
      testEvent({
        kind: 'STATE',
        actor: 'msi-agent',
        source: { system: 'file', region: '', host: 'web-1' },
        attributes: Object.entries({
          'file.path': '/etc/nginx/nginx.conf',
          'file.change': 'modified',
          ...attributes,
        }).map(([key, value]) => ({ key, value })),
        ...overrides,
      });

    it('config-changed-outside-maintenance: a config change on a Wednesday fires, Sunday 03:00 Berlin does not', () => {
      const config = rule('config-changed-outside-maintenance');
      const hit = config.match(fileEvent({ 'file.class': 'config' }), NO_FACTS);
      expect(hit?.message).toBe(
        '/etc/nginx/nginx.conf on web-1 modified on wed 2026-01-14 at 13:00, outside the maintenance window',
      );
      const sunday3am = utcMicros(2026, 1, 18, 2, 0); // 03:00 in Berlin
      expect(
        config.match(fileEvent({ 'file.class': 'config' }, { occurredAt: sunday3am }), NO_FACTS),
      ).toBeUndefined();
      expect(config.match(fileEvent({ 'file.class': 'file' }), NO_FACTS)).toBeUndefined();
    });

    it('frozen-path-changed: any change of a frozen file fires, deletions included', () => {
      const frozen = rule('frozen-path-changed');
      expect(
        frozen.match(
          fileEvent({ 'file.class': 'frozen', 'file.change': 'deleted' }, { kind: 'DELETE' }),
          NO_FACTS,
        )?.message,
      ).toBe('/etc/nginx/nginx.conf on web-1 deleted: the path is frozen');
      expect(frozen.match(fileEvent({ 'file.class': 'config' }), NO_FACTS)).toBeUndefined();
    });

    it('executable-not-allowed: an executable with a hash off the list fires, one on it does not', () => {
      const executable = rule('executable-not-allowed');
      expect(executable.match(fileEvent({ 'file.class': 'executable' }), NO_FACTS)?.details.data).toBe(
        CUSTOMERS_TEXT,
      );
      const allowed = parseImprintText(`sha256:${'0'.repeat(64)}`);
      expect(
        executable.match(fileEvent({ 'file.class': 'executable' }, { data: allowed }), NO_FACTS),
      ).toBeUndefined();
    });

    it('agent-spool-full fires on the agent alert event', () => {
      const event = testEvent({
        kind: 'STATE',
        source: { system: 'file', region: '', host: 'web-1' },
        attributes: [{ key: 'agent.alert', value: 'spool-full' }],
      });
      expect(rule('agent-spool-full').match(event, NO_FACTS)?.message).toBe(
        'the MSI agent on web-1 had a full spool: changes were found again by a rescan',
      );
    });

    it('exempts the agent file reports from custody, and nothing else', () => {
      expect(policy.custodyExempt(fileEvent({}, { kind: 'DELETE' }), NO_FACTS)).toBe(true);
      expect(policy.custodyExempt(testEvent({ kind: 'DELETE' }), NO_FACTS)).toBe(false);
      expect(
        policy.custodyExempt(
          testEvent({ kind: 'DELETE', source: { system: 'file', region: '', host: 'h' } }),
          NO_FACTS,
        ),
      ).toBe(false);
    });
  });
});
