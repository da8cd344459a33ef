import { ByteReader, EncodingError, readHeader } from '../encoding/index.js';
import { UUID_SIZE } from '../uuid/index.js';
import { type DataEvent, EVENT_LIMITS, kindFromCode } from './data-event.js';
import { EventError } from './event-error.js';
import { EVENT_HEADER } from './event-format.js';
import { checkAttributeOrder, readAttribute, readEndpoint, readList } from './read-event-fields.js';
import { validateEvent } from './validate-event.js';

/**
 * Decodes canonical event v1 bytes (docs/PROOFS.md §4). `bytes` is hostile input (it may come from
 * a receipt or the network): every length is checked before it is read, lists are checked against
 * their limit before their items are read, and the result is then held to every rule of
 * validateEvent plus canonical attribute order. Because each field has one encoding, an accepted
 * input re-encodes to itself byte for byte. Throws EventError: EVENT_MALFORMED (with the field) when
 * the bytes do not parse, else the code of the broken rule.
 */
export function decodeEvent(bytes: Uint8Array): DataEvent {
  let event: DataEvent;
  try {
    event = readEvent(new ByteReader(bytes));
  } catch (error) {
    if (error instanceof EncodingError) {
      throw new EventError('EVENT_MALFORMED', error.field, error.message, { cause: error });
    }
    throw error;
  }
  validateEvent(event);
  checkAttributeOrder(event.attributes);
  return event;
}

function readEvent(r: ByteReader): DataEvent {
  readHeader(r, EVENT_HEADER);
  const tenant = r.str('tenant');
  const eventId = r.bytes('event_id', UUID_SIZE);
  const code = r.u8('kind');
  const kind = kindFromCode(code);
  if (kind === undefined) throw new EventError('KIND_INVALID', 'kind', `kind: ${code} is not 1-6`);
  const data = r.imprint('data');
  const inputs = readList(r, 'inputs', (field) => r.imprint(field));
  const outputs = readList(r, 'outputs', (field) => r.imprint(field));
  const toTenant = r.str('to_tenant');
  const actor = r.str('actor');
  const submitter = r.str('submitter');
  const source = readEndpoint(r, 'source');
  const destination = readEndpoint(r, 'destination');
  const occurredAt = r.time('occurred_at');
  const receivedAt = r.time('received_at');
  const parents = readList(r, 'parents', (field) => r.bytes(field, UUID_SIZE));
  const attributes = readList(r, 'attributes', (field) => readAttribute(r, field));
  const nonce = r.bytes('nonce', EVENT_LIMITS.nonceBytes);
  r.end();
  // biome-ignore format: one line per canonical field group
  return {
    tenant, eventId, kind, data, inputs, outputs, toTenant, actor, submitter, source, destination,
    occurredAt, receivedAt, parents, attributes, nonce,
  };
}
