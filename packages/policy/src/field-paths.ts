import type { Endpoint } from '@msi/core';
import { didYouMean } from './did-you-mean.js';
import type { EventView } from './event-view.js';
import { FACT_NAME } from './facts.js';
import { formatClock, formatDay, WEEKDAYS } from './local-time.js';

/** What a field holds, which decides the operands its conditions accept. */
export type FieldType = 'kind' | 'weekday' | 'text' | 'number' | 'boolean' | 'clock' | 'date';

/** A value read from an event; undefined = MISSING (absent or empty). */
export type FieldValue = string | number | boolean;

/** A field path (`destination.region`, `attributes.classification`, `time.hour`, `fact.readers`). */
export interface Field {
  readonly path: string;
  readonly type: FieldType;
  /** Bounds of a number field. */
  readonly min: number;
  readonly max: number;
  /** The fact's name for `fact.<name>`. */
  readonly factName: string | undefined;
  read(view: EventView): FieldValue | undefined;
}

const nonEmpty = (s: string): string | undefined => (s === '' ? undefined : s);

function field(
  path: string,
  type: FieldType,
  read: (view: EventView) => FieldValue | undefined,
  bounds: readonly [number, number] = [0, 0],
): Field {
  return { path, type, read, min: bounds[0], max: bounds[1], factName: undefined };
}

function endpointFields(name: 'source' | 'destination'): Field[] {
  return (['system', 'region', 'host'] as const).map((part) =>
    field(`${name}.${part}`, 'text', (v) => nonEmpty((v.event[name] as Endpoint)[part])),
  );
}

const FIXED: ReadonlyMap<string, Field> = new Map(
  [
    field('kind', 'kind', (v) => v.event.kind),
    field('tenant', 'text', (v) => nonEmpty(v.event.tenant)),
    field('to_tenant', 'text', (v) => nonEmpty(v.event.toTenant)),
    field('actor', 'text', (v) => nonEmpty(v.event.actor)),
    field('submitter', 'text', (v) => nonEmpty(v.event.submitter)),
    field('data', 'text', (v) => v.dataText),
    field('event_id', 'text', (v) => v.eventIdText),
    ...endpointFields('source'),
    ...endpointFields('destination'),
    field('time.weekday', 'weekday', (v) => WEEKDAYS[v.local.weekday]),
    field('time.hour', 'number', (v) => v.local.hour, [0, 23]),
    field('time.minute', 'number', (v) => v.local.minute, [0, 59]),
    field('time.clock', 'clock', (v) => formatClock(v.local.minuteOfDay)),
    field('time.date', 'date', (v) => formatDay(v.local.day)),
    field('time.business_hours', 'boolean', (v) => v.businessHours),
  ].map((f) => [f.path, f]),
);

const ATTRIBUTE_KEY = /^[A-Za-z0-9._:-]{1,64}$/;
const ATTRIBUTES = 'attributes.';
const FACT = 'fact.';

/** The field a path names, or undefined when there is none (see fieldPathProblem). */
export function lookupField(path: string): Field | undefined {
  const fixed = FIXED.get(path);
  if (fixed !== undefined) return fixed;
  if (path.startsWith(ATTRIBUTES)) {
    const key = path.slice(ATTRIBUTES.length);
    if (!ATTRIBUTE_KEY.test(key)) return undefined;
    return field(path, 'text', (v) => {
      for (const a of v.event.attributes) if (a.key === key) return nonEmpty(a.value);
      return undefined;
    });
  }
  if (path.startsWith(FACT)) {
    const name = path.slice(FACT.length);
    if (!FACT_NAME.test(name)) return undefined;
    return { ...field(path, 'text', (v) => v.fact(name)), factName: name };
  }
  return undefined;
}

/** Why `path` is not a field path, for error messages. */
export function fieldPathProblem(path: string): string {
  if (path.startsWith(ATTRIBUTES)) return `"${path}": an attribute key is 1-64 characters of [A-Za-z0-9._:-]`;
  if (path.startsWith(FACT)) return `"${path}": a fact name is 1-48 characters of [a-z0-9_]`;
  return `unknown field "${path}"${didYouMean(path, [...FIXED.keys(), 'attributes.<key>', 'fact.<name>'])}`;
}

/** The text form of a value (numbers in decimal, booleans as true/false). */
export const valueText = (value: FieldValue): string => (typeof value === 'string' ? value : String(value));
