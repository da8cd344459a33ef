import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arbEvent, sampleEvent } from '../event/event-samples.test-helper.js';
import { formatImprint } from '../imprint/index.js';
import { buildWorld } from '../receipt/receipt-world.test-helper.js';
import { formatUuid } from '../uuid/index.js';
import { MSI_RECEIPT_PREDICATE_V1, receiptStatement } from './in-toto-statement.js';
import { provDocument } from './prov-document.js';

const schemas = join(import.meta.dirname, '..', '..', 'schemas');
const schema = (name: string) =>
  JSON.parse(readFileSync(join(schemas, name), 'utf8')) as Record<string, unknown>;
const ajv = new Ajv({ allErrors: true, strict: true, validateFormats: false });
const statementSchema = ajv.compile(schema('in-toto-statement-v1.schema.json'));
const predicateSchema = ajv.compile(schema('msi-receipt-predicate-v1.schema.json'));
const provSchema = ajv.compile(schema('prov-json.schema.json'));

function valid(validate: ReturnType<Ajv['compile']>, value: unknown): boolean {
  const ok = validate(value);
  expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 1)).toEqual([]);
  return ok as boolean;
}

describe('receiptStatement (in-toto Statement v1, MSI receipt predicate v1)', () => {
  const world = buildWorld([[2, 1], [], [3]]);

  it('validates against the in-toto Statement schema and the predicate schema', () => {
    for (let i = 0; i < world.eventCount; i++) {
      const statement = JSON.parse(JSON.stringify(receiptStatement(world.receipt(i)))) as {
        predicate: unknown;
      };
      expect(valid(statementSchema, statement)).toBe(true);
      expect(valid(predicateSchema, statement.predicate)).toBe(true);
    }
  });

  it('names the data as its subject, anchored where the receipt says, and carries the receipt', () => {
    const statement = receiptStatement(world.receipt(3));
    expect(statement.predicateType).toBe(MSI_RECEIPT_PREDICATE_V1);
    expect(statement.subject).toEqual([
      { name: expect.stringMatching(/^sha256:[0-9a-f]{64}$/), digest: { sha256: expect.any(String) } },
    ]);
    expect(statement.subject[0]?.name).toBe(`sha256:${statement.subject[0]?.digest.sha256}`);
    const predicate = statement.predicate as {
      anchor: { round: number; treeSize: number };
      receipt: unknown;
    };
    expect(predicate.anchor.round).toBe(world.roundOf(3));
    expect(predicate.anchor.treeSize).toBe(world.calendarSize);
    expect(predicate.receipt).toEqual(JSON.parse(JSON.stringify(predicate.receipt)));
    expect((predicate.receipt as { version: number }).version).toBe(1);
  });

  it('refuses what the schemas refuse: a subject without digest, upper-case hex, an unknown predicate member', () => {
    const statement = JSON.parse(JSON.stringify(receiptStatement(world.receipt(0))));
    expect(statementSchema({ ...statement, subject: [{ name: 'x' }] })).toBe(false);
    expect(statementSchema({ ...statement, subject: [{ digest: { sha256: 'AB' } }] })).toBe(false);
    expect(statementSchema({ ...statement, _type: 'https://in-toto.io/Statement/v0.1' })).toBe(false);
    expect(predicateSchema({ ...statement.predicate, extra: 1 })).toBe(false);
  });
});

describe('provDocument (W3C PROV-JSON)', () => {
  it('validates against the PROV-JSON schema for any events', () => {
    fc.assert(
      fc.property(fc.array(arbEvent, { maxLength: 4 }), (events) => {
        expect(valid(provSchema, JSON.parse(JSON.stringify(provDocument(events))))).toBe(true);
      }),
      { numRuns: 50 },
    );
  });

  it('maps a PROCESS to used inputs, generated outputs, derivations, its agents, location and parents', () => {
    const event = sampleEvent();
    const doc = provDocument([event]);
    const activity = `event:${formatUuid(event.eventId)}`;
    const ids = (imprints: typeof event.inputs) => imprints.map((i) => `data:${formatImprint(i)}`);
    expect(Object.values(doc.used).map((u) => u['prov:entity'])).toEqual([
      ...ids(event.inputs),
      ...ids([event.data]),
    ]);
    expect(Object.values(doc.wasGeneratedBy).map((g) => g['prov:entity'])).toEqual(ids(event.outputs));
    expect(Object.values(doc.wasDerivedFrom)).toEqual(
      ids(event.inputs).map((input) => ({
        'prov:generatedEntity': ids(event.outputs)[0],
        'prov:usedEntity': input,
        'prov:activity': activity,
      })),
    );
    expect(doc.activity[activity]?.['prov:location']).toBe('lake/eu-west-1/lake-1');
    expect(Object.keys(doc.agent)).toEqual(['agent:acme/actor/alice', 'agent:acme/submitter/svc-etl']);
    expect(Object.values(doc.wasInformedBy)).toEqual([
      { 'prov:informed': activity, 'prov:informant': `event:${formatUuid(event.parents[0] as Uint8Array)}` },
    ]);
  });

  it('maps every other kind to its data used', () => {
    const doc = provDocument([sampleEvent({ kind: 'ACCESS', inputs: [], outputs: [] })]);
    expect(Object.values(doc.used).map((u) => u['prov:entity'])).toEqual([
      `data:${formatImprint(sampleEvent().data)}`,
    ]);
    expect(doc.wasGeneratedBy).toEqual({});
  });
});
