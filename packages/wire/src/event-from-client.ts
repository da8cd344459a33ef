import {
  type DataEvent,
  EventError,
  type EventKind,
  formatUuid,
  type Imprint,
  ImprintError,
  parseImprint,
  validateEvent,
} from '@msi/core';
import type { eventV1 } from '@msi/proto';
import { WireError } from './wire-error.js';

/** What ingest knows and the client must not choose: set on every accepted event. */
export interface IngestStamp {
  /** The tenant of the authenticated credential. */
  readonly tenant: string;
  /** The authenticated principal. */
  readonly submitter: string;
  /** Ingest's clock, µs since the epoch. */
  readonly receivedAt: number;
  /** 16 random bytes. */
  readonly nonce: Uint8Array;
}

const KINDS: Readonly<Record<number, EventKind>> = {
  1: 'TRANSFER',
  2: 'PROCESS',
  3: 'STORE',
  4: 'ACCESS',
  5: 'DELETE',
  6: 'STATE',
};

/** Proto names of the canonical fields whose names differ (times carry their unit in the proto). */
const PROTO_FIELD: Readonly<Record<string, string>> = {
  occurred_at: 'occurred_at_us',
  received_at: 'received_at_us',
};

/**
 * Narrows a client's DataEvent (hostile input) into a validated domain event stamped by ingest.
 * Throws WireError: INVALID_ARGUMENT naming `<path>.<field>`, or PERMISSION_DENIED when the event
 * names a tenant other than the credential's.
 */
export function eventFromClient(message: eventV1.DataEvent, stamp: IngestStamp, path: string): DataEvent {
  const at = (field: string) => (path === '' ? field : `${path}.${field}`);
  if (message.tenant !== '' && message.tenant !== stamp.tenant) {
    throw new WireError(
      'PERMISSION_DENIED',
      at('tenant'),
      `tenant ${JSON.stringify(message.tenant)} is not the credential's tenant`,
    );
  }
  if (message.submitter !== '')
    throw new WireError('INVALID_ARGUMENT', at('submitter'), 'submitter is set by ingest; leave it empty');
  if (message.receivedAtUs !== 0n) {
    throw new WireError(
      'INVALID_ARGUMENT',
      at('received_at_us'),
      'received_at_us is set by ingest; leave it 0',
    );
  }
  if (message.nonce.length !== 0)
    throw new WireError('INVALID_ARGUMENT', at('nonce'), 'nonce is set by ingest; leave it empty');
  const kind = KINDS[message.kind];
  if (kind === undefined)
    throw new WireError(
      'INVALID_ARGUMENT',
      at('kind'),
      `kind ${message.kind} is not one of the six event kinds`,
    );

  const event: DataEvent = {
    tenant: stamp.tenant,
    eventId: message.eventId,
    kind,
    // Field paths are built only for an error message (this runs for every event ingest takes).
    data: imprintField(message.data, at, 'data'),
    inputs: message.inputs.map((input, i) => imprintField(input, at, 'inputs', i)),
    outputs: message.outputs.map((output, i) => imprintField(output, at, 'outputs', i)),
    toTenant: message.toTenant,
    actor: message.actor,
    submitter: stamp.submitter,
    source: endpoint(message.source),
    destination: endpoint(message.destination),
    occurredAt: microseconds(message.occurredAtUs, at, 'occurred_at_us'),
    receivedAt: stamp.receivedAt,
    parents: message.parents,
    // The decoded message's own objects (the same shape; nothing writes to either): a copy of each
    // per event was garbage for every event ingest takes.
    attributes: message.attributes,
    nonce: stamp.nonce,
  };
  try {
    validateEvent(event);
  } catch (error: unknown) {
    if (error instanceof EventError) {
      const field = error.field.replace(/^[a-z_]+/, (name) => PROTO_FIELD[name] ?? name);
      throw new WireError('INVALID_ARGUMENT', at(field), error.message, { cause: error });
    }
    throw error;
  }
  checkIngestRules(event, at);
  return event;
}

/**
 * The rules ingest adds to canonical event v1 (docs/PROOFS.md §4, "Rules of ingest"). They refuse
 * new submissions only: events accepted before them stay valid, so decoders never apply them.
 */
function checkIngestRules(event: DataEvent, at: (field: string) => string): void {
  if (event.kind === 'TRANSFER' && event.toTenant === event.tenant) {
    throw new WireError(
      'INVALID_ARGUMENT',
      at('to_tenant'),
      "to_tenant is the event's own tenant; leave it empty for a transfer within the tenant",
    );
  }
  if (event.parents.length === 0) return;
  const id = formatUuid(event.eventId);
  const self = event.parents.findIndex((parent) => formatUuid(parent) === id);
  if (self >= 0) {
    throw new WireError(
      'INVALID_ARGUMENT',
      at(`parents[${self}]`),
      'is the event_id: an event cannot follow from itself',
    );
  }
}

/** `at(name)`, or `at(name[index])` for an item of a list. */
function fieldPath(at: (field: string) => string, name: string, index?: number): string {
  return at(index === undefined ? name : `${name}[${index}]`);
}

function imprintField(
  bytes: Uint8Array,
  at: (field: string) => string,
  name: string,
  index?: number,
): Imprint {
  if (bytes.length === 0) {
    const field = fieldPath(at, name, index);
    throw new WireError('INVALID_ARGUMENT', field, 'an imprint is required (algorithm id || digest)');
  }
  try {
    return parseImprint(bytes);
  } catch (error: unknown) {
    if (error instanceof ImprintError) {
      const field = fieldPath(at, name, index);
      throw new WireError('INVALID_ARGUMENT', field, `${error.code}: ${error.message}`, { cause: error });
    }
    throw error;
  }
}

const NO_ENDPOINT: DataEvent['source'] = Object.freeze({ system: '', region: '', host: '' });

/** The decoded endpoint itself (the same shape), or the empty one when the message has none. */
function endpoint(message: eventV1.Endpoint | undefined): DataEvent['source'] {
  return message ?? NO_ENDPOINT;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function microseconds(value: bigint, at: (field: string) => string, name: string): number {
  if (value <= 0n || value > MAX_SAFE) {
    const field = at(name);
    throw new WireError('INVALID_ARGUMENT', field, `${field} must be microseconds since the epoch, > 0`);
  }
  return Number(value);
}
