import { EVENT_LIMITS, type Imprint, parseUuid, utf8Length } from '@msi/core';
import { contentHashOf, isObject } from './content-hash-facet.js';
import { LineageError } from './lineage-error.js';

/** The run state transitions of the OpenLineage spec (RunEvent.eventType). */
export const RUN_EVENT_TYPES = ['START', 'RUNNING', 'COMPLETE', 'ABORT', 'FAIL', 'OTHER'] as const;
export type RunEventType = (typeof RUN_EVENT_TYPES)[number];

/** A dataset of a RunEvent with what MSI reads of it. */
export interface LineageDataset {
  readonly namespace: string;
  readonly name: string;
  /** The `msi_contentHash` facet's imprint; read only for the event types MSI anchors. */
  readonly imprint: Imprint | undefined;
}

/** The fields of an OpenLineage RunEvent that MSI maps (docs/OPENLINEAGE.md, "Mapping"). */
export interface LineageRunEvent {
  readonly eventType: RunEventType;
  /** eventTime, µs since the epoch (digits past the microsecond are dropped). */
  readonly eventTimeUs: number;
  /** run.runId in its canonical lowercase text form. */
  readonly runId: string;
  readonly runIdBytes: Uint8Array;
  readonly jobNamespace: string;
  readonly jobName: string;
  /** The spec requires it; some producers omit it (the Spark integration's own test event): undefined then. */
  readonly producer: string | undefined;
  readonly inputs: readonly LineageDataset[];
  readonly outputs: readonly LineageDataset[];
}

/** The event types whose datasets must carry a content hash: the ones MSI anchors. */
export const ANCHORED_EVENT_TYPES: ReadonlySet<RunEventType> = new Set(['COMPLETE']);

/**
 * Reads an OpenLineage RunEvent (hostile input, already JSON-parsed): every field MSI uses is
 * checked strictly, the rest is ignored. Throws LineageError naming the JSON path of the first bad field.
 */
export function readRunEvent(body: unknown): LineageRunEvent {
  if (!isObject(body))
    throw new LineageError('INVALID_FIELD', 'body', 'the body must be a RunEvent (a JSON object)');
  const eventType = body.eventType;
  if (typeof eventType !== 'string' || !(RUN_EVENT_TYPES as readonly string[]).includes(eventType)) {
    throw new LineageError(
      'INVALID_FIELD',
      'eventType',
      `eventType must be one of ${RUN_EVENT_TYPES.join(', ')} (only COMPLETE is anchored)`,
    );
  }
  const type = eventType as RunEventType;
  const run = objectAt(body, 'run', 'run');
  const runIdText = stringAt(run, 'runId', 'run.runId');
  let runIdBytes: Uint8Array;
  try {
    runIdBytes = parseUuid(runIdText);
  } catch (cause: unknown) {
    throw new LineageError('INVALID_FIELD', 'run.runId', 'run.runId must be a UUID (8-4-4-4-12 hex digits)', {
      cause,
    });
  }
  const job = objectAt(body, 'job', 'job');
  const withHashes = ANCHORED_EVENT_TYPES.has(type);
  return {
    eventType: type,
    eventTimeUs: parseEventTime(stringAt(body, 'eventTime', 'eventTime')),
    runId: runIdText.toLowerCase(),
    runIdBytes,
    jobNamespace: attributeValueAt(job, 'namespace', 'job.namespace'),
    jobName: attributeValueAt(job, 'name', 'job.name'),
    producer: body.producer === undefined ? undefined : attributeValueAt(body, 'producer', 'producer'),
    inputs: datasetsAt(body, 'inputs', withHashes),
    outputs: datasetsAt(body, 'outputs', withHashes),
  };
}

function datasetsAt(body: Record<string, unknown>, key: 'inputs' | 'outputs', withHashes: boolean) {
  const list = body[key];
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list))
    throw new LineageError('INVALID_FIELD', key, `${key} must be an array of datasets`);
  return list.map((item: unknown, i): LineageDataset => {
    const path = `${key}[${i}]`;
    if (!isObject(item)) throw new LineageError('INVALID_FIELD', path, `${path} must be a dataset object`);
    const facets = item.facets;
    if (facets !== undefined && !isObject(facets)) {
      throw new LineageError('INVALID_FIELD', `${path}.facets`, `${path}.facets must be an object`);
    }
    return {
      namespace: attributeValueAt(item, 'namespace', `${path}.namespace`),
      name: attributeValueAt(item, 'name', `${path}.name`),
      imprint: withHashes ? contentHashOf(facets, path) : undefined,
    };
  });
}

function objectAt(parent: Record<string, unknown>, key: string, path: string): Record<string, unknown> {
  const value = parent[key];
  if (!isObject(value)) throw new LineageError('INVALID_FIELD', path, `${path} must be an object`);
  return value;
}

function stringAt(parent: Record<string, unknown>, key: string, path: string): string {
  const value = parent[key];
  if (typeof value !== 'string' || value === '') {
    throw new LineageError('INVALID_FIELD', path, `${path} must be a non-empty string`);
  }
  return value;
}

/** A string that travels as an attribute value: at most EVENT_LIMITS.maxAttributeValueBytes, never cut. */
function attributeValueAt(parent: Record<string, unknown>, key: string, path: string): string {
  const value = stringAt(parent, key, path);
  const bytes = utf8Length(value);
  if (bytes === undefined)
    throw new LineageError('INVALID_FIELD', path, `${path} is not valid Unicode (a lone surrogate)`);
  if (bytes > EVENT_LIMITS.maxAttributeValueBytes) {
    throw new LineageError(
      'VALUE_TOO_LONG',
      path,
      `${path} is ${bytes} bytes of UTF-8; MSI keeps it as an attribute value, at most ${EVENT_LIMITS.maxAttributeValueBytes} bytes (it is never cut)`,
    );
  }
  return value;
}

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** An RFC 3339 date-time with its offset (the spec's `format: date-time`), as µs since the epoch. */
export function parseEventTime(text: string): number {
  const match = DATE_TIME.exec(text);
  const bad = () =>
    new LineageError(
      'INVALID_FIELD',
      'eventTime',
      'eventTime must be an RFC 3339 date-time with an offset after 1970, e.g. 2026-01-02T03:04:05.678Z',
    );
  if (match === null) throw bad();
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const date = new Date(ms);
  if (
    date.getUTCFullYear() !== year ||
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    throw bad();
  }
  const fractionUs = Number((match[7] ?? '').padEnd(6, '0').slice(0, 6));
  const sign = match[9] === '-' ? -1 : 1;
  const offsetMinutes = match[8] === undefined ? sign * (Number(match[10]) * 60 + Number(match[11])) : 0;
  const us = (ms - offsetMinutes * 60_000) * 1000 + fractionUs;
  if (us <= 0 || !Number.isSafeInteger(us)) throw bad();
  return us;
}
