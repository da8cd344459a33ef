import type { MerkleHasher } from '@msi/merkle';
import { ByteWriter, writeHeader } from '../encoding/index.js';
import { UUID_SIZE } from '../uuid/index.js';
import { type Attribute, type DataEvent, type Endpoint, EVENT_LIMITS, kindCode } from './data-event.js';
import { EVENT_HEADER } from './event-format.js';
import { validateEvent } from './validate-event.js';

/**
 * The canonical bytes of `event` (canonical event v1, docs/PROOFS.md §4): the only form that is
 * hashed. Validates first (throws EventError naming the field) and sorts the attributes by key;
 * duplicate keys are rejected, never merged.
 */
export function encodeEvent(event: DataEvent): Uint8Array {
  validateEvent(event);
  return encodeValidatedEvent(event);
}

/**
 * encodeEvent without the validation, for a caller that has just validated `event` with
 * validateEvent (ingest: every event is validated once, where the client's fields are narrowed).
 * Precondition: validateEvent(event) did not throw; otherwise the bytes are not canonical event v1.
 */
export function encodeValidatedEvent(event: DataEvent): Uint8Array {
  // Synchronous from reset() to finish(), so one scratch writer serves every call (ingest encodes
  // tens of thousands of events a second: a fresh buffer each was a measurable share of its GC).
  writeValidatedEvent(scratch.reset(), event);
  return scratch.finish();
}

/**
 * encodeValidatedEvent of each of `events`, in order, all in one new buffer: each result is a view
 * of it (the same bytes as encodeValidatedEvent's). For a caller that encodes many events together
 * and keeps them about as long as each other (ingest: a request's events), one allocation instead of
 * one per event — each of those a separate backing store for malloc and for the garbage collector.
 * A view kept keeps the whole buffer. Precondition as encodeValidatedEvent's, for every event.
 */
export function encodeValidatedEvents(events: readonly DataEvent[]): Uint8Array[] {
  const w = scratch.reset();
  const ends: number[] = [];
  for (const event of events) {
    writeValidatedEvent(w, event);
    ends.push(w.length);
  }
  const all = w.finish();
  let start = 0;
  return ends.map((end) => {
    const view = all.subarray(start, end);
    start = end;
    return view;
  });
}

const scratch = new ByteWriter(4096);

function writeValidatedEvent(w: ByteWriter, event: DataEvent): void {
  writeHeader(w, EVENT_HEADER);
  w.str(event.tenant).bytes(event.eventId, UUID_SIZE).u8(kindCode(event.kind)).imprint(event.data);
  w.count(event.inputs.length);
  for (const input of event.inputs) w.imprint(input);
  w.count(event.outputs.length);
  for (const output of event.outputs) w.imprint(output);
  w.str(event.toTenant).str(event.actor).str(event.submitter);
  writeEndpoint(w, event.source);
  writeEndpoint(w, event.destination);
  w.time(event.occurredAt).time(event.receivedAt);
  w.count(event.parents.length);
  for (const parent of event.parents) w.bytes(parent, UUID_SIZE);
  const attributes = sortedAttributes(event.attributes);
  w.count(attributes.length);
  for (const { key, value } of attributes) w.str(key).str(value);
  w.bytes(event.nonce, EVENT_LIMITS.nonceBytes);
}

function writeEndpoint(w: ByteWriter, endpoint: Endpoint): void {
  w.str(endpoint.system).str(endpoint.region).str(endpoint.host);
}

/**
 * Attributes sorted by key, bytewise over UTF-8. Precondition: keys are validated ASCII, for which
 * UTF-16 code-unit order (`<`) is the same as UTF-8 byte order.
 */
export function sortAttributes(attributes: readonly Attribute[]): Attribute[] {
  return [...attributes].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * `attributes` itself when already in key order (the common case: a copy and a sort per event were
 * measurable in ingest's encoding), else a sorted copy (sortAttributes).
 */
export function sortedAttributes(attributes: readonly Attribute[]): readonly Attribute[] {
  for (let i = 1; i < attributes.length; i++) {
    if (!((attributes[i - 1] as Attribute).key < (attributes[i] as Attribute).key)) {
      return sortAttributes(attributes);
    }
  }
  return attributes;
}

/**
 * The event leaf hash `H(0x00 || canonical event bytes)`. Precondition: `canonicalBytes` came from
 * encodeEvent or was accepted by decodeEvent; this function does not parse them.
 */
export function eventLeafHash(hasher: MerkleHasher, canonicalBytes: Uint8Array): Uint8Array {
  return hasher.hashLeaf(canonicalBytes);
}

/**
 * The event leaf hashes of many events at once, packed (32 bytes each, in order): the same bytes as
 * eventLeafHash on each, in one batch call of the hasher (a SIMD hasher does several per lane group).
 */
export function eventLeafHashes(hasher: MerkleHasher, canonicalBytes: readonly Uint8Array[]): Uint8Array {
  return hasher.hashLeaves(canonicalBytes);
}
