import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import {
  CUSTOMERS,
  CUSTOMERS_TEXT,
  factsAbout,
  holds,
  matchOf,
  oneRule,
  testEvent,
  utcMicros,
} from './events.test-helper.js';
import { NO_FACTS } from './facts.js';
import { parsePolicy } from './parse-policy.js';

const TENANTS = `tenants:
  acme:
    timezone: Europe/Berlin
    business_hours: { days: [mon, tue, wed, thu, fri], from: "08:00", to: "18:00", holidays: ["2026-12-25"] }
  globex:
    timezone: America/New_York
`;

describe('time fields', () => {
  // 2026-01-14 12:00 UTC: 13:00 on Wednesday in Berlin, 07:00 in New York.
  const acme = testEvent();
  const globex = testEvent({ tenant: 'globex' });

  it('are computed in the tenant time zone', () => {
    const policy = oneRule(
      '{ time.weekday: wed }',
      TENANTS,
      '    message: "{time.date} {time.clock} {time.hour}h{time.minute}"\n',
    );
    expect(matchOf(policy, acme)?.message).toBe('2026-01-14 13:00 13h0');
    expect(matchOf(policy, globex)?.message).toBe('2026-01-14 07:00 7h0');
    expect(matchOf(policy, testEvent({ tenant: 'initech' }))?.message).toBe('2026-01-14 12:00 12h0'); // UTC
  });

  it('cross midnight and DST per zone', () => {
    const lateWednesdayUtc = utcMicros(2026, 1, 14, 23, 30);
    const thursday = '{ time.weekday: thu, time.clock: "00:30" }';
    expect(holds(thursday, testEvent({ occurredAt: lateWednesdayUtc }), undefined, TENANTS)).toBe(true);
    expect(
      holds(thursday, testEvent({ tenant: 'globex', occurredAt: lateWednesdayUtc }), undefined, TENANTS),
    ).toBe(false);
    // 2026-03-29 01:00 UTC: Berlin moves from 02:00 CET to 03:00 CEST.
    expect(
      holds('{ time.hour: 1 }', testEvent({ occurredAt: utcMicros(2026, 3, 29, 0, 59) }), undefined, TENANTS),
    ).toBe(true);
    expect(
      holds('{ time.hour: 3 }', testEvent({ occurredAt: utcMicros(2026, 3, 29, 1, 0) }), undefined, TENANTS),
    ).toBe(true);
  });

  it('business hours: days, from (inclusive), to (exclusive), holidays', () => {
    const open = (y: number, mo: number, d: number, h: number, mi: number) =>
      holds(
        '{ time.business_hours: true }',
        testEvent({ occurredAt: utcMicros(y, mo, d, h, mi) }),
        undefined,
        TENANTS,
      );
    expect(open(2026, 1, 14, 7, 0)).toBe(true); // Wed 08:00 Berlin
    expect(open(2026, 1, 14, 6, 59)).toBe(false); // Wed 07:59
    expect(open(2026, 1, 14, 16, 59)).toBe(true); // Wed 17:59
    expect(open(2026, 1, 14, 17, 0)).toBe(false); // Wed 18:00
    expect(open(2026, 1, 17, 12, 0)).toBe(false); // Saturday
    expect(open(2026, 12, 25, 12, 0)).toBe(false); // Friday, a holiday
    expect(open(2026, 12, 24, 23, 30)).toBe(false); // Thu 23:30 UTC is the holiday 00:30 in Berlin
    expect(open(2026, 12, 24, 12, 0)).toBe(true); // the Thursday before
    expect(
      holds(
        '{ time.business_hours: false }',
        testEvent({ occurredAt: utcMicros(2026, 1, 17, 12) }),
        undefined,
        TENANTS,
      ),
    ).toBe(true);
  });
});

describe('matches', () => {
  const transfer = testEvent({
    kind: 'TRANSFER',
    actor: 'backup-sync',
    destination: { system: 's3', region: 'us-east-1', host: '' },
    attributes: [{ key: 'classification', value: 'pii' }],
  });
  const when =
    '{ kind: TRANSFER, attributes.classification: pii, destination.region: { not_in: [eu-west-1] } }';

  it('render the message template; missing fields show as -', () => {
    const policy = oneRule(
      when,
      '',
      '    message: "{actor} sent {data} to {destination.region}/{destination.host} {{literal}}"\n',
    );
    expect(matchOf(policy, transfer)?.message).toBe(
      `backup-sync sent ${CUSTOMERS_TEXT} to us-east-1/- {literal}`,
    );
  });

  it('default to `<description>: <kind> of <data> by <actor>`', () => {
    expect(matchOf(oneRule(when), transfer)?.message).toBe(
      `test rule: TRANSFER of ${CUSTOMERS_TEXT} by backup-sync`,
    );
  });

  it('carry a dedupe key: rule|tenant|by fields (default actor, data; missing → empty)', () => {
    expect(matchOf(oneRule(when), transfer)?.dedupeKey).toBe(
      `r|acme|actor=backup-sync data=${CUSTOMERS_TEXT}`,
    );
    const custom = oneRule(
      when,
      '',
      '    dedupe: { by: [destination.region, destination.host, event_id], window: 1h }\n',
    );
    expect(matchOf(custom, transfer)?.dedupeKey).toBe(
      'r|acme|destination.region=us-east-1 destination.host= event_id=019bbc60-8200-7707-8707-070707070707',
    );
    expect(custom.rules[0]?.dedupeWindowUs).toBe(3_600_000_000);
    expect(oneRule(when).rules[0]?.dedupeWindowUs).toBe(600_000_000);
  });

  it('carry details: the fields the conditions read, plus rule', () => {
    expect(matchOf(oneRule(when), transfer)?.details).toEqual({
      rule: 'r',
      kind: 'TRANSFER',
      'attributes.classification': 'pii',
      'destination.region': 'us-east-1',
    });
    const facts = factsAbout('acme', CUSTOMERS, { readers: 'alice,bob' });
    const access = testEvent({ actor: 'mallory' });
    expect(matchOf(oneRule('{ actor: { not_in: { fact: readers } } }'), access, facts)?.details).toEqual({
      rule: 'r',
      actor: 'mallory',
      'fact.readers': 'alice,bob',
    });
  });

  it('respect the rule tenants scope', () => {
    const scoped = oneRule(when, '', '    tenants: [globex]\n');
    expect(matchOf(scoped, transfer)).toBeUndefined();
    expect(matchOf(scoped, { ...transfer, tenant: 'globex' })).toBeDefined();
    expect(scoped.rules[0]?.tenants).toEqual(new Set(['globex']));
  });
});

describe('facts', () => {
  const staticFacts = `facts:\n  acme:\n    "${CUSTOMERS_TEXT.toUpperCase().replace('SHA256', 'sha256')}":\n      readers: [crm-export, etl]\n      retention_hold: "true"\n`;

  it('come from the file (imprint text in any hex case), lists comma-joined', () => {
    const policy = oneRule(
      '{ kind: ACCESS }',
      staticFacts,
      '    message: "{fact.readers} {fact.retention_hold}"\n',
    );
    expect(matchOf(policy, testEvent())?.message).toBe('crm-export,etl true');
    // Only the tenant that holds them sees them.
    expect(matchOf(policy, testEvent({ tenant: 'globex' }))?.message).toBe('- -');
  });

  it('from the fact source override the file; an empty dynamic value hides the static one', () => {
    const when = '{ actor: { not_in: { fact: readers } } }';
    const alice = testEvent();
    expect(holds(when, alice, NO_FACTS, staticFacts)).toBe(true); // static readers: crm-export, etl
    expect(holds(when, alice, factsAbout('acme', CUSTOMERS, { readers: 'alice' }), staticFacts)).toBe(false);
    expect(holds(when, alice, factsAbout('acme', CUSTOMERS, { readers: '' }), staticFacts)).toBe(false);
  });

  it('make a rule anchored by default; others are arrival unless told', () => {
    expect(oneRule('{ fact.retention_hold: "true" }').rules[0]?.evaluate).toBe('anchored');
    expect(oneRule('{ actor: { in: { fact: readers } } }').rules[0]?.evaluate).toBe('anchored');
    expect(oneRule('{ kind: DELETE }', '', '    message: "{fact.owner}"\n').rules[0]?.evaluate).toBe(
      'anchored',
    );
    expect(oneRule('{ kind: DELETE }').rules[0]?.evaluate).toBe('arrival');
    expect(oneRule('{ kind: DELETE }', '', '    evaluate: anchored\n').rules[0]?.evaluate).toBe('anchored');
  });
});

describe('parsePolicy', () => {
  it('applies defaults for custody, integrity and webhooks', () => {
    const policy = parsePolicy('version: 1\n');
    expect(policy.rules).toEqual([]);
    expect(policy.webhooks).toEqual([]);
    expect(policy.custody).toEqual({
      unknownProvenance: { enabled: true, severity: 'medium', tenants: undefined },
      useAfterDelete: { enabled: true, severity: 'high', tenants: undefined },
      unanchoredInput: { enabled: true, severity: 'high', tenants: undefined },
    });
    expect(policy.integrity).toEqual({
      sealSlaRounds: 3,
      anchorSlaRounds: 3,
      calendarStallRounds: 5,
      authFailures: { threshold: 10, windowUs: 60_000_000, severity: 'high' },
    });
  });

  it('reads custody, integrity and webhooks', () => {
    const policy = parsePolicy(`version: 1
custody:
  unknown_provenance: off
  use_after_delete: { severity: critical, tenants: [acme] }
integrity:
  seal_sla_rounds: 7
  auth_failures: { threshold: 3, window: 5m }
webhooks:
  - name: ops
    url: https://hooks.example/msi
    secret_env: MSI_WEBHOOK_OPS_SECRET
    min_severity: high
    tenants: [acme]
  - { name: dev, url: "http://localhost:9000/hook", secret: s3cret }
`);
    expect(policy.custody.unknownProvenance.enabled).toBe(false);
    expect(policy.custody.useAfterDelete).toEqual({
      enabled: true,
      severity: 'critical',
      tenants: new Set(['acme']),
    });
    expect(policy.custody.unanchoredInput.severity).toBe('high');
    expect(policy.integrity.sealSlaRounds).toBe(7);
    expect(policy.integrity.anchorSlaRounds).toBe(3);
    expect(policy.integrity.authFailures).toEqual({ threshold: 3, windowUs: 300_000_000, severity: 'high' });
    expect(policy.webhooks).toEqual([
      {
        name: 'ops',
        url: 'https://hooks.example/msi',
        secret: undefined,
        secretEnv: 'MSI_WEBHOOK_OPS_SECRET',
        minSeverity: 'high',
        tenants: new Set(['acme']),
      },
      {
        name: 'dev',
        url: 'http://localhost:9000/hook',
        secret: 's3cret',
        secretEnv: undefined,
        minSeverity: 'low',
        tenants: undefined,
      },
    ]);
  });

  it('accepts JSON', () => {
    const json = JSON.stringify({
      version: 1,
      rules: [{ id: 'deletes', description: 'a delete', severity: 'low', when: { kind: 'DELETE' } }],
    });
    const policy = parsePolicy(json);
    expect(policy.rules[0]?.match(testEvent({ kind: 'DELETE' }), NO_FACTS)?.message).toBe(
      `a delete: DELETE of ${CUSTOMERS_TEXT} by alice`,
    );
  });

  it('digests the text (hex SHA-256 of its UTF-8 bytes)', () => {
    const text = 'version: 1 # ünïcode\n';
    expect(parsePolicy(text).digest).toBe(bytesToHex(sha256(utf8ToBytes(text))));
    expect(parsePolicy(text).digest).not.toBe(parsePolicy('version: 1\n').digest);
  });
});
