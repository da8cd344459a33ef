import type { EventInput } from '@msi/client';
import {
  encodeImprint,
  type Imprint,
  isEventKind,
  kindCode,
  mintUuidV7,
  parseImprintText,
  parseUuid,
} from '@msi/core';
import { eventV1 } from '@msi/proto';
import { CliError } from './cli-error.js';

/**
 * An event as the emitter describes it, with the flag names of `msi emit` (and the member names of
 * a JSON line): text values, unchecked. `data` is an imprint text; `dataFile` a file to hash instead.
 */
export interface EventSpec {
  readonly kind?: string;
  readonly data?: string;
  readonly dataFile?: string;
  readonly actor?: string;
  readonly source?: string;
  readonly destination?: string;
  readonly toTenant?: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** `key=value` pairs. */
  readonly attrs: readonly string[];
  readonly parents: readonly string[];
  /** A UUIDv7 to reuse (retrying a failed ack); minted when absent. */
  readonly eventId?: string;
  /** ISO 8601; now when absent. */
  readonly occurredAt?: string;
}

/** Maps a JSON line's members (the long flag names) to the spec's fields. */
const JSON_MEMBERS = {
  kind: 'kind',
  data: 'data',
  'data-file': 'dataFile',
  actor: 'actor',
  source: 'source',
  destination: 'destination',
  'to-tenant': 'toTenant',
  'event-id': 'eventId',
  'occurred-at': 'occurredAt',
} as const;
const JSON_LISTS = { input: 'inputs', output: 'outputs', attr: 'attrs', parent: 'parents' } as const;

/**
 * An EventSpec from one JSON line (hostile input). Members are the long flag names; the repeatable
 * ones (`input`, `output`, `attr`, `parent`) take a string or an array of strings, `attr` also an
 * object {key: value}. Throws CliError INPUT prefixed with `where`.
 */
export function eventSpecFromJson(value: unknown, where: string): EventSpec {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CliError('INPUT', `${where}: an event must be a JSON object`);
  }
  const spec: Record<string, unknown> = { inputs: [], outputs: [], attrs: [], parents: [] };
  for (const [member, item] of Object.entries(value)) {
    if (member in JSON_MEMBERS) {
      if (typeof item !== 'string') throw new CliError('INPUT', `${where}: "${member}" must be a string`);
      spec[JSON_MEMBERS[member as keyof typeof JSON_MEMBERS]] = item;
    } else if (member in JSON_LISTS) {
      spec[JSON_LISTS[member as keyof typeof JSON_LISTS]] = listMember(member, item, where);
    } else {
      throw new CliError('INPUT', `${where}: unknown member "${member}"`);
    }
  }
  return spec as unknown as EventSpec;
}

function listMember(member: string, item: unknown, where: string): string[] {
  if (typeof item === 'string') return [item];
  if (Array.isArray(item) && item.every((x) => typeof x === 'string')) return item as string[];
  if (member === 'attr' && typeof item === 'object' && item !== null && !Array.isArray(item)) {
    return Object.entries(item).map(([key, v]) => {
      if (typeof v !== 'string') throw new CliError('INPUT', `${where}: attr "${key}" must be a string`);
      return `${key}=${v}`;
    });
  }
  throw new CliError('INPUT', `${where}: "${member}" must be a string or an array of strings`);
}

/** What buildEvent needs from outside: the clock and randomness (for the event id). */
export interface EventContext {
  readonly nowMs: number;
  readonly random16: () => Uint8Array;
}

/**
 * The proto event for a spec whose data imprint is known (`data` hashed from `dataFile` by the caller,
 * or undefined to parse `spec.data`). Checks shapes the client can know; ingest validates the rest.
 * Throws CliError INPUT prefixed with `where`.
 */
export function buildEvent(
  spec: EventSpec,
  data: Imprint | undefined,
  context: EventContext,
  where: string,
): eventV1.DataEvent {
  const fail = (message: string): never => {
    throw new CliError('INPUT', `${where}: ${message}`);
  };
  const kind = (
    spec.kind ?? fail('the kind is missing (--kind STORE|ACCESS|TRANSFER|PROCESS|DELETE|STATE)')
  ).toUpperCase();
  if (!isEventKind(kind)) return fail(`unknown kind "${spec.kind}"`);
  const actor = spec.actor ?? fail('the actor is missing (--actor NAME)');
  const imprint =
    data ?? imprintText(spec.data ?? fail('no data: give --data IMPRINT or --data-file PATH'), 'data', fail);
  return eventV1.DataEvent.fromPartial({
    eventId: Buffer.from(
      spec.eventId === undefined
        ? mintUuidV7(context.nowMs, context.random16())
        : uuid(spec.eventId, 'event-id', fail),
    ),
    kind: kindCode(kind) as eventV1.EventKind,
    data: Buffer.from(encodeImprint(imprint)),
    inputs: spec.inputs.map((text) => Buffer.from(encodeImprint(imprintText(text, 'input', fail)))),
    outputs: spec.outputs.map((text) => Buffer.from(encodeImprint(imprintText(text, 'output', fail)))),
    toTenant: spec.toTenant ?? '',
    actor,
    source: endpoint(spec.source, 'source', fail),
    destination: endpoint(spec.destination, 'destination', fail),
    occurredAtUs: occurredAt(spec.occurredAt, context.nowMs, fail),
    parents: spec.parents.map((text) => Buffer.from(uuid(text, 'parent', fail))),
    attributes: spec.attrs.map((pair) => attribute(pair, fail)),
  });
}

/**
 * The SDK's form of a spec whose data imprint is known (as buildEvent): what `msi emit` hands to
 * @msi/client, which mints the id when the spec has none and checks every rule before sending.
 * Throws CliError INPUT prefixed with `where` for what does not parse.
 */
export function eventInputOf(spec: EventSpec, data: Imprint | undefined, where: string): EventInput {
  const fail = (message: string): never => {
    throw new CliError('INPUT', `${where}: ${message}`);
  };
  const kind = (
    spec.kind ?? fail('the kind is missing (--kind STORE|ACCESS|TRANSFER|PROCESS|DELETE|STATE)')
  ).toUpperCase();
  if (!isEventKind(kind)) return fail(`unknown kind "${spec.kind}"`);
  const actor = spec.actor ?? fail('the actor is missing (--actor NAME)');
  return {
    kind,
    data:
      data ??
      imprintText(spec.data ?? fail('no data: give --data IMPRINT or --data-file PATH'), 'data', fail),
    actor,
    ...(spec.eventId === undefined ? {} : { eventId: uuid(spec.eventId, 'event-id', fail) }),
    inputs: spec.inputs.map((text) => imprintText(text, 'input', fail)),
    outputs: spec.outputs.map((text) => imprintText(text, 'output', fail)),
    toTenant: spec.toTenant ?? '',
    source: endpoint(spec.source, 'source', fail),
    destination: endpoint(spec.destination, 'destination', fail),
    ...(spec.occurredAt === undefined ? {} : { occurredAt: Number(occurredAt(spec.occurredAt, 0, fail)) }),
    parents: spec.parents.map((text) => uuid(text, 'parent', fail)),
    attributes: spec.attrs.map((pair) => attribute(pair, fail)),
  };
}

type Fail = (message: string) => never;

function imprintText(text: string, what: string, fail: Fail): Imprint {
  try {
    return parseImprintText(text);
  } catch (error: unknown) {
    const reason = error instanceof Error ? error.message : String(error);
    return fail(`${what} "${text.slice(0, 80)}" is not an imprint like sha256:<64 hex digits>: ${reason}`);
  }
}

function uuid(text: string, what: string, fail: Fail): Uint8Array {
  try {
    return parseUuid(text);
  } catch {
    return fail(`${what} "${text.slice(0, 80)}" is not a UUID`);
  }
}

/** `system/region/host`; trailing parts may be left out. */
export function endpoint(text: string | undefined, what: string, fail: Fail): eventV1.Endpoint {
  if (text === undefined) return { system: '', region: '', host: '' };
  const parts = text.split('/');
  if (parts.length > 3) fail(`${what} "${text.slice(0, 80)}" is not system/region/host`);
  const [system = '', region = '', host = ''] = parts;
  return { system, region, host };
}

function attribute(pair: string, fail: Fail): eventV1.Attribute {
  const at = pair.indexOf('=');
  if (at <= 0) fail(`attribute "${pair.slice(0, 80)}" is not key=value`);
  return { key: pair.slice(0, at), value: pair.slice(at + 1) };
}

function occurredAt(text: string | undefined, nowMs: number, fail: Fail): bigint {
  if (text === undefined) return BigInt(nowMs) * 1000n;
  const ms = Date.parse(text);
  if (!Number.isFinite(ms) || !/^\d{4}-\d{2}-\d{2}T/.test(text)) {
    fail(`occurred-at "${text.slice(0, 80)}" is not an ISO 8601 time`);
  }
  return BigInt(ms) * 1000n;
}
