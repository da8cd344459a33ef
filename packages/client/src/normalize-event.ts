import {
  type Attribute,
  type EventClaims,
  EventError,
  type Imprint,
  isUuidV7,
  parseImprintText,
  parseUuid,
  validateAggregatedEvent,
} from '@msi/core';
import { MsiClientError } from './client-error.js';
import type { EndpointInput, EventIdLike, EventInput, ImprintLike } from './event-input.js';

/** What normalizing needs from outside: the clock, and a fresh UUIDv7 when the caller gave no id. */
export interface EventContext {
  /** Milliseconds since the epoch. */
  readonly nowMs: number;
  readonly mintId: () => Uint8Array;
}

const NO_NONCE = new Uint8Array(16);
const NONE: readonly never[] = Object.freeze([]);
const NO_ENDPOINT = Object.freeze({ system: '', region: '', host: '' });

/**
 * The client's fields of `input` (hostile to the extent the caller's data is), checked by every rule
 * the client can check before sending: the field rules of docs/PROOFS.md §4 and, as ingest would,
 * that no parent is the event itself (unless `validate` is false: the aggregated writer checks them
 * itself). Throws MsiClientError INVALID_EVENT naming the field. The nonce is `nonce` (aggregated
 * events) or zeros (individual events: ingest chooses it).
 */
export function normalizeEvent(
  input: EventInput,
  context: EventContext,
  nonce: Uint8Array = NO_NONCE,
  validate = true,
): EventClaims {
  const claims: EventClaims = {
    eventId: input.eventId === undefined ? context.mintId() : eventId(input.eventId, 'event_id'),
    kind: input.kind,
    data: imprint(input.data, 'data'),
    inputs:
      input.inputs === undefined || input.inputs.length === 0
        ? NONE
        : input.inputs.map((i, n) => imprint(i, `inputs[${n}]`)),
    outputs:
      input.outputs === undefined || input.outputs.length === 0
        ? NONE
        : input.outputs.map((o, n) => imprint(o, `outputs[${n}]`)),
    toTenant: input.toTenant ?? '',
    actor: input.actor,
    source: endpoint(input.source),
    destination: endpoint(input.destination),
    occurredAt: occurredAt(input.occurredAt, context.nowMs),
    parents:
      input.parents === undefined || input.parents.length === 0
        ? NONE
        : input.parents.map((p, n) => eventId(p, `parents[${n}]`)),
    attributes: attributes(input.attributes),
    nonce,
  };
  if (validate) checkClaims(claims);
  return claims;
}

/** The rules of §4 on the client's fields, and ingest's: no parent is the event itself. */
export function checkClaims(claims: EventClaims): void {
  try {
    // the rules of §4 on the client's fields, and that no parent is the event itself (ingest's rule)
    validateAggregatedEvent(claims);
  } catch (error: unknown) {
    if (error instanceof EventError) {
      throw new MsiClientError('INVALID_EVENT', error.message, error.field, { cause: error });
    }
    throw error;
  }
}

function imprint(value: ImprintLike, field: string): Imprint {
  if (typeof value !== 'string') return value;
  try {
    return parseImprintText(value);
  } catch (cause: unknown) {
    throw new MsiClientError(
      'INVALID_EVENT',
      `${field}: "${value.slice(0, 80)}" is not an imprint like sha256:<64 hex digits>`,
      field,
      { cause },
    );
  }
}

function eventId(value: EventIdLike, field: string): Uint8Array {
  let id: Uint8Array;
  try {
    id = typeof value === 'string' ? parseUuid(value) : value;
  } catch (cause: unknown) {
    throw new MsiClientError(
      'INVALID_EVENT',
      `${field}: "${String(value).slice(0, 80)}" is not a UUID`,
      field,
      {
        cause,
      },
    );
  }
  if (!isUuidV7(id)) throw new MsiClientError('INVALID_EVENT', `${field}: not a UUIDv7`, field);
  return id;
}

function endpoint(value: EndpointInput | undefined): {
  readonly system: string;
  readonly region: string;
  readonly host: string;
} {
  if (value === undefined) return NO_ENDPOINT;
  return { system: value.system ?? '', region: value.region ?? '', host: value.host ?? '' };
}

function occurredAt(value: Date | number | undefined, nowMs: number): number {
  if (value === undefined) return nowMs * 1000;
  if (value instanceof Date) return value.getTime() * 1000;
  return value;
}

function attributes(value: EventInput['attributes']): readonly Attribute[] {
  if (value === undefined) return NONE;
  if (Array.isArray(value)) return value as readonly Attribute[];
  return Object.entries(value as Record<string, string>).map(([key, v]) => ({ key, value: v }));
}
