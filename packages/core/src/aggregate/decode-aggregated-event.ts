import type { MerkleHasher } from '@msi/merkle';
import { ByteReader, EncodingError, readHeader } from '../encoding/index.js';
import {
  checkAttributeOrder,
  EVENT_LIMITS,
  EventError,
  kindFromCode,
  readAttribute,
  readEndpoint,
  readList,
} from '../event/index.js';
import { UUID_SIZE } from '../uuid/index.js';
import { AGGREGATED_EVENT_HEADER, type AggregatedEvent } from './aggregated-event.js';
import { validateAggregatedEvent } from './validate-aggregated-event.js';

/**
 * Decodes aggregated event v1 bytes (docs/PROOFS.md §12). `bytes` is hostile input (a receipt):
 * every length is checked before it is read, and the result is held to every rule of
 * validateAggregatedEvent plus canonical attribute order, so an accepted input re-encodes to itself
 * byte for byte. Throws EventError: EVENT_MALFORMED (with the field) when the bytes do not parse,
 * else the code of the broken rule. Canonical event v1 bytes ("MSIE") are refused: another magic.
 */
export function decodeAggregatedEvent(bytes: Uint8Array): AggregatedEvent {
  let event: AggregatedEvent;
  try {
    event = readAggregatedEvent(new ByteReader(bytes));
  } catch (error) {
    if (error instanceof EncodingError) {
      throw new EventError('EVENT_MALFORMED', error.field, error.message, { cause: error });
    }
    throw error;
  }
  validateAggregatedEvent(event);
  checkAttributeOrder(event.attributes);
  return event;
}

function readAggregatedEvent(r: ByteReader): AggregatedEvent {
  readHeader(r, AGGREGATED_EVENT_HEADER);
  const eventId = r.bytes('event_id', UUID_SIZE);
  const code = r.u8('kind');
  const kind = kindFromCode(code);
  if (kind === undefined) throw new EventError('KIND_INVALID', 'kind', `kind: ${code} is not 1-6`);
  const data = r.imprint('data');
  const inputs = readList(r, 'inputs', (field) => r.imprint(field));
  const outputs = readList(r, 'outputs', (field) => r.imprint(field));
  const toTenant = r.str('to_tenant');
  const actor = r.str('actor');
  const source = readEndpoint(r, 'source');
  const destination = readEndpoint(r, 'destination');
  const occurredAt = r.time('occurred_at');
  const parents = readList(r, 'parents', (field) => r.bytes(field, UUID_SIZE));
  const attributes = readList(r, 'attributes', (field) => readAttribute(r, field));
  const nonce = r.bytes('nonce', EVENT_LIMITS.nonceBytes);
  r.end();
  // biome-ignore format: one line per canonical field group
  return {
    eventId, kind, data, inputs, outputs, toTenant, actor, source, destination, occurredAt, parents,
    attributes, nonce,
  };
}

/**
 * The leaf hash of an aggregated event in its local tree: `H(0x00 || aggregated event bytes)`.
 * Precondition: the bytes came from the writer or were accepted by decodeAggregatedEvent.
 */
export function aggregatedLeafHash(hasher: MerkleHasher, bytes: Uint8Array): Uint8Array {
  return hasher.hashLeaf(bytes);
}
