import { describe, expect, it } from 'vitest';
import { CUSTOMERS, factsAbout, holds, testEvent } from './events.test-helper.js';

// testEvent(): ACCESS by alice of acme, source s3/eu-west-1/acme-raw, empty destination, no attributes,
// 2026-01-14 12:00 UTC.
const pii = testEvent({
  kind: 'TRANSFER',
  destination: { system: 's3', region: 'us-east-1', host: 'backup' },
  attributes: [
    { key: 'classification', value: 'pii' },
    { key: 'size', value: '1500' },
    { key: 'empty', value: '' },
  ],
});

describe('field conditions', () => {
  it('a scalar is eq, a list is in', () => {
    expect(holds('{ kind: TRANSFER }', pii)).toBe(true);
    expect(holds('{ kind: ACCESS }', pii)).toBe(false);
    expect(holds('{ destination.region: [us-east-1, us-west-2] }', pii)).toBe(true);
    expect(holds('{ destination.region: [eu-west-1] }', pii)).toBe(false);
  });

  it('several fields must all hold (implicit all)', () => {
    expect(holds('{ kind: TRANSFER, attributes.classification: pii }', pii)).toBe(true);
    expect(holds('{ kind: TRANSFER, attributes.classification: public }', pii)).toBe(false);
  });
});

describe('operators', () => {
  const cases: [string, boolean][] = [
    ['{ actor: { eq: alice } }', true],
    ['{ actor: { eq: bob } }', false],
    ['{ actor: { ne: bob } }', true],
    ['{ actor: { ne: alice } }', false],
    ['{ destination.region: { in: [us-east-1] } }', true],
    ['{ destination.region: { not_in: [us-east-1] } }', false],
    ['{ destination.region: { not_in: [eu-west-1, eu-central-1] } }', true],
    ['{ attributes.size: { gt: 1000 } }', true], // a number operand compares numerically
    ['{ attributes.size: { gt: 2000 } }', false],
    ['{ attributes.size: { gte: 1500, lte: 1500 } }', true],
    ['{ attributes.size: { lt: 1500 } }', false],
    ['{ attributes.size: { gt: "2" } }', false], // a string operand compares as strings: "1500" < "2"
    ['{ attributes.classification: { gt: 1 } }', false], // not a number: false
    ['{ destination.region: { matches: "^us-" } }', true],
    ['{ destination.region: { matches: "^eu-" } }', false],
    ['{ destination.host: { prefix: back } }', true],
    ['{ destination.host: { prefix: front } }', false],
    ['{ destination.region: { exists: true } }', true],
    ['{ destination.region: { exists: false } }', false],
    ['{ destination.region: { prefix: us, ne: us-east-2 } }', true], // every op must hold
    ['{ destination.region: { prefix: us, ne: us-east-1 } }', false],
  ];
  it.each(cases)('%s → %s', (when, want) => {
    expect(holds(when, pii)).toBe(want);
  });

  it('in / not_in take a named list', () => {
    const lists = 'lists:\n  eu: [eu-west-1, eu-central-1]\n';
    expect(holds('{ destination.region: { not_in: { list: eu } } }', pii, undefined, lists)).toBe(true);
    expect(holds('{ source.region: { in: { list: eu } } }', pii, undefined, lists)).toBe(true);
    expect(holds('{ source.region: { not_in: { list: eu } } }', pii, undefined, lists)).toBe(false);
  });

  it('in / not_in take a fact: its comma-separated items about the event data', () => {
    const facts = factsAbout('acme', CUSTOMERS, { readers: 'crm-export, alice ,etl' });
    const access = testEvent();
    expect(holds('{ actor: { in: { fact: readers } } }', access, facts)).toBe(true);
    expect(holds('{ actor: { not_in: { fact: readers } } }', access, facts)).toBe(false);
    const mallory = testEvent({ actor: 'mallory' });
    expect(holds('{ actor: { not_in: { fact: readers } } }', mallory, facts)).toBe(true);
  });

  it('time.clock compares as a string, time.hour as a number', () => {
    const noon = testEvent(); // 12:00 UTC (no tenants section: UTC)
    expect(holds('{ time.clock: { gte: "08:00", lt: "18:00" } }', noon)).toBe(true);
    expect(holds('{ time.clock: { gte: "12:01" } }', noon)).toBe(false);
    expect(holds('{ time.hour: { gte: 9, lt: 17 } }', noon)).toBe(true);
    expect(holds('{ time.hour: [0, 1, 2] }', noon)).toBe(false);
  });
});

describe('combinators', () => {
  it('all, any and not nest freely', () => {
    expect(holds('{ any: [ { kind: ACCESS }, { kind: TRANSFER } ] }', pii)).toBe(true);
    expect(holds('{ any: [ { kind: ACCESS }, { kind: DELETE } ] }', pii)).toBe(false);
    expect(holds('{ all: [ { kind: TRANSFER }, { actor: alice } ] }', pii)).toBe(true);
    expect(holds('{ all: [ { kind: TRANSFER }, { actor: bob } ] }', pii)).toBe(false);
    expect(holds('{ not: { kind: TRANSFER } }', pii)).toBe(false);
    expect(holds('{ not: { kind: ACCESS } }', pii)).toBe(true);
    expect(
      holds(
        '{ kind: TRANSFER, not: { any: [ { actor: bob }, { all: [ { actor: alice }, { kind: STORE } ] } ] } }',
        pii,
      ),
    ).toBe(true);
    expect(
      holds('{ not: { any: [ { actor: bob }, { all: [ { actor: alice }, { kind: TRANSFER } ] } ] } }', pii),
    ).toBe(false);
  });
});

describe('MISSING fields', () => {
  // pii has an empty to_tenant, an empty attribute `empty`, no attribute `owner`; the access event has
  // an empty destination.
  const missing = ['to_tenant', 'attributes.empty', 'attributes.owner', 'fact.readers'];
  const ops = [
    '{ eq: x }',
    '{ ne: x }',
    '{ in: [x] }',
    '{ not_in: [x] }',
    '{ gt: a }',
    '{ gte: a }',
    '{ lt: z }',
    '{ lte: z }',
    '{ matches: ".*" }',
    '{ prefix: "" }',
    '{ exists: true }',
  ];
  it.each(missing)('%s satisfies only exists: false', (path) => {
    for (const op of ops) expect(holds(`{ ${path}: ${op} }`, pii), `${path}: ${op}`).toBe(false);
    expect(holds(`{ ${path}: { exists: false } }`, pii)).toBe(true);
    expect(holds(`{ not: { ${path}: { eq: x } } }`, pii)).toBe(true);
  });

  it('an empty endpoint field is missing', () => {
    expect(holds('{ destination.region: { not_in: [us-east-1] } }', testEvent())).toBe(false);
    expect(holds('{ destination.region: { exists: false } }', testEvent())).toBe(true);
  });

  it('not_in a fact is false when the item has no such fact (no restriction known)', () => {
    const mallory = testEvent({ actor: 'mallory' });
    expect(holds('{ actor: { not_in: { fact: readers } } }', mallory)).toBe(false);
    expect(holds('{ actor: { in: { fact: readers } } }', mallory)).toBe(false);
    const otherTenant = factsAbout('globex', CUSTOMERS, { readers: 'alice' });
    expect(holds('{ actor: { not_in: { fact: readers } } }', mallory, otherTenant)).toBe(false);
  });

  it('time.business_hours is missing for a tenant without business hours', () => {
    expect(holds('{ time.business_hours: false }', testEvent())).toBe(false);
    expect(holds('{ time.business_hours: true }', testEvent())).toBe(false);
    expect(holds('{ time.business_hours: { exists: false } }', testEvent())).toBe(true);
  });
});
