import { formatImprint } from '@msi/core';
import { describe, expect, it } from 'vitest';
import { LineageError } from './lineage-error.js';
import { lineageExample, lineageExampleAt } from './lineage-testdata.test-helper.js';
import { parseEventTime, readRunEvent } from './run-event.js';

function refusal(run: () => unknown): { code: string; field: string; message: string } {
  try {
    run();
  } catch (error: unknown) {
    if (error instanceof LineageError)
      return { code: error.code, field: error.field, message: error.message };
    throw error;
  }
  throw new Error('expected a LineageError');
}

const now = Date.now();

describe('readRunEvent', () => {
  it('reads the dbt run example (COMPLETE) with its datasets and their content hashes', () => {
    const run = readRunEvent(lineageExample('dbt-run-complete'));
    expect(run).toMatchObject({
      eventType: 'COMPLETE',
      eventTimeUs: Date.parse('2021-07-07T12:44:46.972Z') * 1000 + 743,
      runId: '6edf42ed-d8d0-454a-b819-d09b9067ff99',
      jobNamespace: 'bigquery',
      jobName: 'speedy-vim-308516.dbt_test1.dbt_test.test_model',
      producer: 'https://github.com/OpenLineage/OpenLineage/tree/0.0.1/integration/dbt',
    });
    expect(run.inputs.map((d) => [d.namespace, d.name])).toEqual([
      ['bigquery', 'speedy-vim-308516.dbt_test1.source_table'],
    ]);
    expect(run.outputs.map((d) => d.imprint && formatImprint(d.imprint))).toEqual([
      (
        lineageExample('dbt-run-complete').outputs as {
          facets: { msi_contentHash: { imprint: string } };
        }[]
      )[0]?.facets.msi_contentHash.imprint,
    ]);
  });

  it('reads the Spark example, which has no producer, and needs no content hash for START', () => {
    const run = readRunEvent(lineageExample('spark-job'));
    expect(run.eventType).toBe('START');
    expect(run.producer).toBeUndefined();
    expect(run.inputs[0]?.imprint).toBeUndefined();
    expect(readRunEvent(lineageExample('dbt-run-start')).eventType).toBe('START');
  });

  it('refuses a COMPLETE dataset without the msi_contentHash facet, naming its path', () => {
    const event = lineageExampleAt('dbt-run-complete', now);
    const outputs = event.outputs as { facets: Record<string, unknown> }[];
    delete outputs[0]?.facets.msi_contentHash;
    expect(refusal(() => readRunEvent(event))).toMatchObject({
      code: 'CONTENT_HASH_MISSING',
      field: 'outputs[0].facets.msi_contentHash',
    });
  });

  it.each([
    [`sha1:${'ab'.repeat(20)}`, 'CONTENT_HASH_INVALID'],
    [`sha256:${'ab'.repeat(31)}`, 'CONTENT_HASH_INVALID'],
    ['ab'.repeat(32), 'CONTENT_HASH_INVALID'],
    [42, 'CONTENT_HASH_INVALID'],
  ])('refuses the imprint %j (%s)', (imprint, code) => {
    const event = lineageExampleAt('minimal-complete', now);
    const outputs = event.outputs as { facets: { msi_contentHash: Record<string, unknown> } }[];
    if (outputs[0] !== undefined) outputs[0].facets.msi_contentHash.imprint = imprint;
    expect(refusal(() => readRunEvent(event))).toMatchObject({
      code,
      field: 'outputs[0].facets.msi_contentHash.imprint',
    });
  });

  it('refuses a facet without _producer or _schemaURL', () => {
    const event = lineageExampleAt('minimal-complete', now);
    const outputs = event.outputs as { facets: { msi_contentHash: Record<string, unknown> } }[];
    delete outputs[0]?.facets.msi_contentHash._schemaURL;
    expect(refusal(() => readRunEvent(event))).toMatchObject({
      code: 'INVALID_FIELD',
      field: 'outputs[0].facets.msi_contentHash._schemaURL',
    });
  });

  it.each([
    [{ eventType: 'DONE' }, 'INVALID_FIELD', 'eventType'],
    [{ eventType: undefined }, 'INVALID_FIELD', 'eventType'],
    [{ eventTime: '2026-13-01T00:00:00Z' }, 'INVALID_FIELD', 'eventTime'],
    [{ eventTime: '2026-01-01 00:00:00' }, 'INVALID_FIELD', 'eventTime'],
    [{ run: { runId: 'not-a-uuid' } }, 'INVALID_FIELD', 'run.runId'],
    [{ run: [] }, 'INVALID_FIELD', 'run'],
    [{ job: { namespace: 'workshop' } }, 'INVALID_FIELD', 'job.name'],
    [{ job: { namespace: 'w', name: 'j'.repeat(257) } }, 'VALUE_TOO_LONG', 'job.name'],
    [{ producer: '' }, 'INVALID_FIELD', 'producer'],
    [{ outputs: {} }, 'INVALID_FIELD', 'outputs'],
    [{ outputs: ['x'] }, 'INVALID_FIELD', 'outputs[0]'],
    [{ inputs: [{ namespace: 'n', name: '\ud800' }] }, 'INVALID_FIELD', 'inputs[0].name'],
  ])('refuses %j with %s naming %s', (overrides, code, field) => {
    const event = lineageExampleAt('minimal-complete', now, overrides);
    expect(refusal(() => readRunEvent(event))).toMatchObject({ code, field });
  });

  it('refuses a body that is not an object', () => {
    expect(refusal(() => readRunEvent([]))).toMatchObject({ code: 'INVALID_FIELD', field: 'body' });
  });
});

describe('parseEventTime', () => {
  it('reads RFC 3339 with its offset, to the microsecond', () => {
    expect(parseEventTime('2020-12-28T20:52:00.001+10:00')).toBe(
      Date.parse('2020-12-28T10:52:00.001Z') * 1000,
    );
    expect(parseEventTime('2021-07-07T12:44:46.069306Z')).toBe(
      Date.parse('2021-07-07T12:44:46.069Z') * 1000 + 306,
    );
    expect(parseEventTime('2021-07-07T12:44:46.0693069Z')).toBe(
      Date.parse('2021-07-07T12:44:46.069Z') * 1000 + 306,
    );
    expect(parseEventTime('2021-07-07t12:44:46-01:30')).toBe(Date.parse('2021-07-07T14:14:46Z') * 1000);
    expect(parseEventTime(new Date(now).toISOString())).toBe(now * 1000);
  });

  it.each(['2021-02-29T00:00:00Z', '2021-01-01T24:00:00Z', '1970-01-01T00:00:00Z', '2021-01-01T00:00:00'])(
    'refuses %s',
    (text) => {
      expect(refusal(() => parseEventTime(text))).toMatchObject({
        code: 'INVALID_FIELD',
        field: 'eventTime',
      });
    },
  );
});
