import { EVENT_LIMITS, encodeImprint, type Imprint, imprintOf } from '@msi/core';
import { eventV1 } from '@msi/proto';
import { LineageError } from './lineage-error.js';
import { lineageEventId } from './lineage-event-id.js';
import type { LineageDataset, LineageRunEvent } from './run-event.js';

/** Attributes every event of a RunEvent carries: eventType, runId, job namespace and name, producer, part. */
const FIXED_ATTRIBUTES = 6;
/** Datasets one event can name: two attributes (namespace, name) each, beside the fixed ones. */
export const DATASETS_PER_EVENT = Math.floor((EVENT_LIMITS.maxListItems - FIXED_ATTRIBUTES) / 2);
/** Events one RunEvent may become (the chain's length); past it the RunEvent is refused. */
export const MAX_PARTS = 64;

/** One event of the chain a RunEvent becomes: its kind and the indices of the datasets it names. */
export interface LineagePart {
  readonly kind: 'PROCESS' | 'STORE' | 'ACCESS';
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
}

/**
 * How a COMPLETE RunEvent with `inputCount` inputs and `outputCount` outputs becomes events
 * (docs/OPENLINEAGE.md, "Splitting"): one PROCESS when its datasets fit one event; else the inputs
 * cut into chunks and the outputs into chunks, one PROCESS per (input chunk, output chunk), input
 * chunk major, so every input → output pair is in exactly one event. No inputs: one STORE per
 * output; no outputs: one ACCESS per input. Throws LineageError NO_DATASETS, TOO_MANY_DATASETS.
 */
export function planParts(inputCount: number, outputCount: number): LineagePart[] {
  if (inputCount === 0 && outputCount === 0) {
    throw new LineageError(
      'NO_DATASETS',
      'outputs',
      'a COMPLETE event with neither inputs nor outputs has no content to anchor',
    );
  }
  const parts =
    inputCount === 0
      ? range(outputCount).map((j): LineagePart => ({ kind: 'STORE', inputs: [], outputs: [j] }))
      : outputCount === 0
        ? range(inputCount).map((i): LineagePart => ({ kind: 'ACCESS', inputs: [i], outputs: [] }))
        : processParts(inputCount, outputCount);
  if (parts.length > MAX_PARTS) {
    throw new LineageError(
      'TOO_MANY_DATASETS',
      inputCount === 0 || outputCount === 0 ? (inputCount === 0 ? 'outputs' : 'inputs') : 'body',
      `${inputCount} inputs and ${outputCount} outputs need ${parts.length} chained events, at most ${MAX_PARTS}: split the job`,
    );
  }
  return parts;
}

function processParts(inputCount: number, outputCount: number): LineagePart[] {
  const half = Math.floor(DATASETS_PER_EVENT / 2);
  const inputChunk =
    inputCount + outputCount <= DATASETS_PER_EVENT || inputCount <= half
      ? Math.min(inputCount, DATASETS_PER_EVENT - 1)
      : outputCount <= half
        ? DATASETS_PER_EVENT - outputCount
        : half;
  const outputChunk = Math.min(outputCount, DATASETS_PER_EVENT - inputChunk);
  const parts: LineagePart[] = [];
  for (let i = 0; i < inputCount; i += inputChunk) {
    for (let j = 0; j < outputCount; j += outputChunk) {
      parts.push({
        kind: 'PROCESS',
        inputs: range(Math.min(inputChunk, inputCount - i)).map((k) => i + k),
        outputs: range(Math.min(outputChunk, outputCount - j)).map((k) => j + k),
      });
    }
  }
  return parts;
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

const KIND = {
  PROCESS: eventV1.EventKind.EVENT_KIND_PROCESS,
  STORE: eventV1.EventKind.EVENT_KIND_STORE,
  ACCESS: eventV1.EventKind.EVENT_KIND_ACCESS,
} as const;

/** The imprint of a run: SHA-256 of UTF-8 "openlineage-run:" || runId (the data of its PROCESS events). */
export function runImprint(runId: string): Imprint {
  return imprintOf('sha256', new TextEncoder().encode(`openlineage-run:${runId}`));
}

/**
 * The events a COMPLETE RunEvent becomes, in chain order (each after the first has the previous
 * one as its parent), as ingest's DataEvent messages: the same validation, idempotency and
 * durability as a SubmitBatch of them. Pure: ids are derived, never random.
 */
export function lineageEvents(run: LineageRunEvent): eventV1.DataEvent[] {
  const parts = planParts(run.inputs.length, run.outputs.length);
  const ids = parts.map((_, k) => Buffer.from(lineageEventId(run, run.eventType, k)));
  return parts.map((part, k) => {
    const inputs = part.inputs.map((i) => imprintBytes(run.inputs, i));
    const outputs = part.outputs.map((j) => imprintBytes(run.outputs, j));
    const data =
      part.kind === 'PROCESS'
        ? Buffer.from(encodeImprint(runImprint(run.runId)))
        : ((part.kind === 'STORE' ? outputs[0] : inputs[0]) ?? Buffer.alloc(0));
    const previous = ids[k - 1];
    return eventV1.DataEvent.fromPartial({
      eventId: ids[k] ?? Buffer.alloc(0),
      kind: KIND[part.kind],
      data,
      inputs: part.kind === 'PROCESS' ? inputs : [],
      outputs: part.kind === 'PROCESS' ? outputs : [],
      actor: run.jobName,
      occurredAtUs: BigInt(run.eventTimeUs),
      parents: previous === undefined ? [] : [previous],
      attributes: [
        { key: 'ol.eventType', value: run.eventType },
        { key: 'ol.run.runId', value: run.runId },
        { key: 'ol.job.namespace', value: run.jobNamespace },
        { key: 'ol.job.name', value: run.jobName },
        ...(run.producer === undefined ? [] : [{ key: 'ol.producer', value: run.producer }]),
        { key: 'ol.part', value: `${k + 1}/${parts.length}` },
        ...part.inputs.flatMap((i) => datasetAttributes('inputs', i, run.inputs[i])),
        ...part.outputs.flatMap((j) => datasetAttributes('outputs', j, run.outputs[j])),
      ],
    });
  });
}

function imprintBytes(datasets: readonly LineageDataset[], index: number): Buffer {
  const imprint = datasets[index]?.imprint;
  if (imprint === undefined) throw new RangeError(`dataset ${index} has no imprint`);
  return Buffer.from(encodeImprint(imprint));
}

function datasetAttributes(list: 'inputs' | 'outputs', index: number, dataset: LineageDataset | undefined) {
  if (dataset === undefined) throw new RangeError(`no ${list}[${index}]`);
  return [
    { key: `ol.${list}.${index}.namespace`, value: dataset.namespace },
    { key: `ol.${list}.${index}.name`, value: dataset.name },
  ];
}
