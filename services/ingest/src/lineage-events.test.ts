import { formatImprint, formatUuid, parseImprint, parseImprintText } from '@msi/core';
import { eventV1 } from '@msi/proto';
import { describe, expect, it } from 'vitest';
import { LineageError } from './lineage-error.js';
import { lineageEventId } from './lineage-event-id.js';
import { DATASETS_PER_EVENT, lineageEvents, MAX_PARTS, planParts, runImprint } from './lineage-events.js';
import { lineageExampleAt } from './lineage-testdata.test-helper.js';
import { type LineageDataset, type LineageRunEvent, readRunEvent } from './run-event.js';

const now = Date.now();
const attributes = (event: eventV1.DataEvent) =>
  Object.fromEntries(event.attributes.map((a) => [a.key, a.value]));
const imprints = (list: readonly Buffer[]) => list.map((bytes) => formatImprint(parseImprint(bytes)));
const hashOf = (dataset: unknown) =>
  (dataset as { facets: { msi_contentHash: { imprint: string } } }).facets.msi_contentHash.imprint;

describe('lineageEvents', () => {
  it('makes the dbt run one PROCESS: inputs → outputs by content hash, names as attributes', () => {
    const body = lineageExampleAt('dbt-run-complete', now);
    const run = readRunEvent(body);
    const [event, ...rest] = lineageEvents(run);
    expect(rest).toEqual([]);
    if (event === undefined) throw new Error('no event');
    expect(event.kind).toBe(eventV1.EventKind.EVENT_KIND_PROCESS);
    expect(imprints(event.inputs)).toEqual((body.inputs as unknown[]).map(hashOf));
    expect(imprints(event.outputs)).toEqual((body.outputs as unknown[]).map(hashOf));
    expect(formatImprint(parseImprint(event.data))).toBe(formatImprint(runImprint(run.runId)));
    expect(formatUuid(event.eventId)).toBe(formatUuid(lineageEventId(run, 'COMPLETE', 0)));
    expect(event.actor).toBe('speedy-vim-308516.dbt_test1.dbt_test.test_model');
    expect(event.occurredAtUs).toBe(BigInt(now) * 1000n);
    expect(event.parents).toEqual([]);
    expect(attributes(event)).toEqual({
      'ol.eventType': 'COMPLETE',
      'ol.run.runId': '6edf42ed-d8d0-454a-b819-d09b9067ff99',
      'ol.job.namespace': 'bigquery',
      'ol.job.name': 'speedy-vim-308516.dbt_test1.dbt_test.test_model',
      'ol.producer': 'https://github.com/OpenLineage/OpenLineage/tree/0.0.1/integration/dbt',
      'ol.part': '1/1',
      'ol.inputs.0.namespace': 'bigquery',
      'ol.inputs.0.name': 'speedy-vim-308516.dbt_test1.source_table',
      'ol.outputs.0.namespace': 'bigquery',
      'ol.outputs.0.name': 'speedy-vim-308516.dbt_test1.test_model',
    });
  });

  it('makes the Spark job (sent as COMPLETE) one PROCESS, without ol.producer (the example has none)', () => {
    const run = readRunEvent(lineageExampleAt('spark-job', now, { eventType: 'COMPLETE' }));
    const events = lineageEvents(run);
    expect(events.map((e) => e.kind)).toEqual([eventV1.EventKind.EVENT_KIND_PROCESS]);
    expect(attributes(events[0] ?? eventV1.DataEvent.fromPartial({}))).toMatchObject({
      'ol.job.name': 'jobName',
      'ol.inputs.0.name': 'input',
      'ol.outputs.0.name': 'output',
    });
    expect(Object.keys(attributes(events[0] ?? eventV1.DataEvent.fromPartial({})))).not.toContain(
      'ol.producer',
    );
  });

  it('makes a job with outputs and no inputs (the minimal example) a STORE of each output', () => {
    const body = lineageExampleAt('minimal-complete', now);
    const events = lineageEvents(readRunEvent(body));
    expect(events.map((e) => e.kind)).toEqual([eventV1.EventKind.EVENT_KIND_STORE]);
    expect(formatImprint(parseImprint(events[0]?.data ?? Buffer.alloc(0)))).toBe(
      hashOf((body.outputs as unknown[])[0]),
    );
    expect(events[0]?.inputs).toEqual([]);
  });

  it('chains the parts: each names the previous one as its parent, all carry ol.part k/n', () => {
    const run = syntheticRun(40, 3);
    const events = lineageEvents(run);
    expect(events.length).toBe(2);
    expect(events[1]?.parents.map(formatUuid)).toEqual([formatUuid(events[0]?.eventId ?? Buffer.alloc(0))]);
    expect(events.map((e) => attributes(e)['ol.part'])).toEqual(['1/2', '2/2']);
    expect(events[1]?.attributes.map((a) => a.key)).toContain('ol.inputs.39.name');
    // every input → output pair is in exactly one event, nothing is cut
    const pairs = events.flatMap((e) =>
      imprints(e.inputs).flatMap((i) => imprints(e.outputs).map((o) => `${i}>${o}`)),
    );
    expect(new Set(pairs).size).toBe(40 * 3);
    expect(pairs.length).toBe(40 * 3);
  });
});

describe('planParts', () => {
  const shape = (inputs: number, outputs: number) =>
    planParts(inputs, outputs).map((p) => [p.kind, p.inputs.length, p.outputs.length]);

  it('keeps a job whose datasets fit one event whole', () => {
    expect(DATASETS_PER_EVENT).toBe(29);
    expect(shape(1, 1)).toEqual([['PROCESS', 1, 1]]);
    expect(shape(28, 1)).toEqual([['PROCESS', 28, 1]]);
    expect(shape(1, 28)).toEqual([['PROCESS', 1, 28]]);
    expect(shape(15, 14)).toEqual([['PROCESS', 15, 14]]);
  });

  it('cuts inputs and outputs into chunks, one PROCESS per pair of chunks', () => {
    expect(shape(40, 3)).toEqual([
      ['PROCESS', 26, 3],
      ['PROCESS', 14, 3],
    ]);
    expect(shape(3, 40)).toEqual([
      ['PROCESS', 3, 26],
      ['PROCESS', 3, 14],
    ]);
    expect(shape(20, 20)).toEqual([
      ['PROCESS', 14, 15],
      ['PROCESS', 14, 5],
      ['PROCESS', 6, 15],
      ['PROCESS', 6, 5],
    ]);
  });

  it('makes one STORE per output without inputs, one ACCESS per input without outputs', () => {
    expect(shape(0, 2)).toEqual([
      ['STORE', 0, 1],
      ['STORE', 0, 1],
    ]);
    expect(shape(1, 0)).toEqual([['ACCESS', 1, 0]]);
  });

  it('refuses no datasets at all and more parts than MAX_PARTS, with codes', () => {
    const codeOf = (run: () => unknown) => {
      try {
        run();
      } catch (error: unknown) {
        if (error instanceof LineageError) return [error.code, error.field];
      }
      return undefined;
    };
    expect(codeOf(() => planParts(0, 0))).toEqual(['NO_DATASETS', 'outputs']);
    expect(codeOf(() => planParts(0, MAX_PARTS + 1))).toEqual(['TOO_MANY_DATASETS', 'outputs']);
    expect(codeOf(() => planParts(MAX_PARTS + 1, 0))).toEqual(['TOO_MANY_DATASETS', 'inputs']);
    expect(codeOf(() => planParts(14 * 9, 15 * 8))).toEqual(['TOO_MANY_DATASETS', 'body']);
    expect(planParts(14 * 8, 15 * 8)).toHaveLength(64);
  });
});

function syntheticRun(inputs: number, outputs: number): LineageRunEvent {
  const dataset = (list: string, i: number): LineageDataset => ({
    namespace: 's3://bucket',
    name: `${list}/${i}`,
    imprint: parseImprintText(
      `sha256:${(list === 'in' ? 'a' : 'b').repeat(56)}${i.toString(16).padStart(8, '0')}`,
    ),
  });
  return {
    eventType: 'COMPLETE',
    eventTimeUs: now * 1000,
    runId: '6edf42ed-d8d0-454a-b819-d09b9067ff99',
    runIdBytes: new Uint8Array(16),
    jobNamespace: 'spark',
    jobName: 'wide-job',
    producer: undefined,
    inputs: Array.from({ length: inputs }, (_, i) => dataset('in', i)),
    outputs: Array.from({ length: outputs }, (_, i) => dataset('out', i)),
  };
}
