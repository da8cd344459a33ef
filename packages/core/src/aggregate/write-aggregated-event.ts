import { utf8Length } from '../encoding/index.js';
import type { Endpoint } from '../event/index.js';
import { kindCode, sortedAttributes } from '../event/index.js';
import { HASH_ALGORITHMS, type HashAlgorithm, type Imprint } from '../imprint/index.js';
import { AGGREGATED_EVENT_HEADER, type AggregatedEvent } from './aggregated-event.js';
import { validateAggregatedEvent } from './validate-aggregated-event.js';

// The writer of aggregated event v1 (docs/PROOFS.md §12) into a caller's buffer: the hot path of a
// client that aggregates hundreds of thousands of events a second, so it writes bytes in place
// instead of building intermediate arrays. Every value is validated before anything is written.

const TWO_32 = 2 ** 32;
const HEADER_SIZE = 5;
/**
 * The most bytes an aggregated event v1 can have, by the limits of §4: 64-byte digests, 64 inputs
 * and outputs, a 64-byte to_tenant, a 256-byte actor and endpoint strings, 64 parents, 64 attributes
 * of 64-byte keys and 256-byte values. A writer with this much room needs not measure first.
 */
export const MAX_AGGREGATED_EVENT_SIZE =
  HEADER_SIZE +
  16 +
  1 +
  66 +
  2 * (2 + 64 * 66) +
  (2 + 64) +
  (2 + 256) +
  6 * (2 + 256) +
  8 +
  (2 + 64 * 16) +
  (2 + 64 * (2 + 64 + 2 + 256)) +
  16;
const ALGORITHM_IDS: ReadonlyMap<string, number> = new Map(
  HASH_ALGORITHMS.filter((a) => a.accepted).map((a) => [a.name, a.id]),
);
const encoder = new TextEncoder();

/**
 * Validates `event` and writes its aggregated event v1 bytes into `target` at `offset`. Returns the
 * offset after the last byte written, or -1 (writing nothing) when the bytes do not fit. Throws
 * EventError naming the field of the first broken rule. Attributes are written sorted by key.
 */
export function writeAggregatedEvent(event: AggregatedEvent, target: Uint8Array, offset: number): number {
  validateAggregatedEvent(event);
  if (offset < 0) return -1;
  if (
    target.length - offset < MAX_AGGREGATED_EVENT_SIZE &&
    offset + aggregatedEventSize(event) > target.length
  ) {
    return -1;
  }
  return writeValid(event, target, offset);
}

/** Writes a validated event that fits; returns the offset after it. */
function writeValid(event: AggregatedEvent, target: Uint8Array, offset: number): number {
  const attributes = sortedAttributes(event.attributes);
  let at = writeHeader(target, offset);
  at = putBytes(target, at, event.eventId);
  target[at++] = kindCode(event.kind);
  at = putImprint(target, at, event.data);
  at = putImprints(target, at, event.inputs);
  at = putImprints(target, at, event.outputs);
  at = putStr(target, at, event.toTenant);
  at = putStr(target, at, event.actor);
  at = putEndpoint(target, at, event.source);
  at = putEndpoint(target, at, event.destination);
  at = putU64(target, at, event.occurredAt);
  at = putU16(target, at, event.parents.length);
  for (const parent of event.parents) at = putBytes(target, at, parent);
  at = putU16(target, at, attributes.length);
  for (const { key, value } of attributes) at = putStr(target, putStr(target, at, key), value);
  return putBytes(target, at, event.nonce);
}

/** The aggregated event v1 bytes of `event` (validated). Throws EventError naming the field. */
export function encodeAggregatedEvent(event: AggregatedEvent): Uint8Array {
  validateAggregatedEvent(event); // before measuring: the size of an invalid event means nothing
  const bytes = new Uint8Array(aggregatedEventSize(event));
  writeValid(event, bytes, 0);
  return bytes;
}

/** The number of bytes of `event`'s aggregated form. Precondition: `event` is valid. */
export function aggregatedEventSize(event: AggregatedEvent): number {
  let size = HEADER_SIZE + 16 + 1 + imprintSize(event.data);
  size += 2 + event.inputs.reduce((sum, i) => sum + imprintSize(i), 0);
  size += 2 + event.outputs.reduce((sum, o) => sum + imprintSize(o), 0);
  size += strSize(event.toTenant) + strSize(event.actor);
  size += endpointSize(event.source) + endpointSize(event.destination);
  size += 8 + 2 + 16 * event.parents.length + 2;
  for (const { key, value } of event.attributes) size += strSize(key) + strSize(value);
  return size + 16;
}

function imprintSize(imprint: Imprint): number {
  return 2 + imprint.digest.length;
}

function strSize(text: string): number {
  return 2 + (utf8Length(text) ?? 0);
}

function endpointSize(endpoint: Endpoint): number {
  return strSize(endpoint.system) + strSize(endpoint.region) + strSize(endpoint.host);
}

export function writeHeader(target: Uint8Array, at: number): number {
  target.set(AGGREGATED_EVENT_HEADER.magic, at);
  target[at + 4] = AGGREGATED_EVENT_HEADER.version;
  return at + HEADER_SIZE;
}

export function putU16(target: Uint8Array, at: number, value: number): number {
  target[at] = value >>> 8;
  target[at + 1] = value & 0xff;
  return at + 2;
}

/** A `u64` (a safe integer) big-endian. */
export function putU64(target: Uint8Array, at: number, value: number): number {
  const high = Math.floor(value / TWO_32);
  const low = value - high * TWO_32;
  target[at] = high >>> 24;
  target[at + 1] = (high >>> 16) & 0xff;
  target[at + 2] = (high >>> 8) & 0xff;
  target[at + 3] = high & 0xff;
  target[at + 4] = low >>> 24;
  target[at + 5] = (low >>> 16) & 0xff;
  target[at + 6] = (low >>> 8) & 0xff;
  target[at + 7] = low & 0xff;
  return at + 8;
}

export function putBytes(target: Uint8Array, at: number, bytes: Uint8Array): number {
  if (bytes.length <= 32) {
    for (let i = 0; i < bytes.length; i++) target[at + i] = bytes[i] as number;
  } else {
    target.set(bytes, at);
  }
  return at + bytes.length;
}

/**
 * A `str`: u16 length and UTF-8. ASCII (the common case) is written in one pass; other text through
 * TextEncoder. Precondition: well-formed text (validated) and room for it.
 */
export function putStr(target: Uint8Array, at: number, text: string): number {
  const start = at + 2;
  const n = text.length;
  let i = 0;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) break;
    target[start + i] = c;
  }
  let length = n;
  if (i < n) {
    length = utf8Length(text) ?? 0;
    encoder.encodeInto(text, target.subarray(start, start + length));
  }
  putU16(target, at, length);
  return start + length;
}

/** An `imprint`: u8 length, algorithm id, digest. Precondition: an accepted imprint (validated). */
export function putImprint(target: Uint8Array, at: number, imprint: Imprint): number {
  target[at] = 1 + imprint.digest.length;
  target[at + 1] = algorithmId(imprint.algorithm);
  return putBytes(target, at + 2, imprint.digest);
}

function putImprints(target: Uint8Array, at: number, imprints: readonly Imprint[]): number {
  let next = putU16(target, at, imprints.length);
  for (const imprint of imprints) next = putImprint(target, next, imprint);
  return next;
}

function putEndpoint(target: Uint8Array, at: number, endpoint: Endpoint): number {
  return putStr(target, putStr(target, putStr(target, at, endpoint.system), endpoint.region), endpoint.host);
}

/** The registry id of an accepted algorithm. */
export function algorithmId(algorithm: HashAlgorithm): number {
  const id = ALGORITHM_IDS.get(algorithm);
  if (id === undefined) throw new RangeError(`no accepted algorithm ${algorithm}`);
  return id;
}
