import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { formatImprint, parseImprintText } from '../imprint/index.js';
import { formatUuid, parseUuid } from '../uuid/index.js';
import type { Attribute, DataEvent, Endpoint, EventKind } from './data-event.js';

/**
 * The JSON-friendly form of a DataEvent used by the test vectors in packages/core/testdata
 * (imprints in text form, UUIDs in 8-4-4-4-12 form, the nonce in hex). Not a public API: the vectors
 * script (packages/core/scripts/make-vectors.mjs) and the tests share it.
 */
export interface EventVectorJson {
  readonly tenant: string;
  readonly eventId: string;
  readonly kind: EventKind;
  readonly data: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly toTenant: string;
  readonly actor: string;
  readonly submitter: string;
  readonly source: Endpoint;
  readonly destination: Endpoint;
  readonly occurredAt: number;
  readonly receivedAt: number;
  readonly parents: readonly string[];
  readonly attributes: readonly Attribute[];
  readonly nonce: string;
}

/** The event a vector describes. Parses, but does not validate: encodeEvent does. */
export function eventFromVectorJson(json: EventVectorJson): DataEvent {
  return {
    ...json,
    eventId: parseUuid(json.eventId),
    data: parseImprintText(json.data),
    inputs: json.inputs.map(parseImprintText),
    outputs: json.outputs.map(parseImprintText),
    parents: json.parents.map(parseUuid),
    nonce: hexToBytes(json.nonce),
  };
}

/** The vector form of an event. */
export function eventToVectorJson(event: DataEvent): EventVectorJson {
  return {
    ...event,
    eventId: formatUuid(event.eventId),
    data: formatImprint(event.data),
    inputs: event.inputs.map(formatImprint),
    outputs: event.outputs.map(formatImprint),
    parents: event.parents.map(formatUuid),
    nonce: bytesToHex(event.nonce),
  };
}
