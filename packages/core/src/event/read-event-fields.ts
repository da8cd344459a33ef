import type { ByteReader } from '../encoding/index.js';
import { type Attribute, type Endpoint, EVENT_LIMITS } from './data-event.js';
import { EventError } from './event-error.js';
import { attributeFieldNames, endpointFieldNames, listItemName } from './field-names.js';

// Readers of the field groups that canonical event v1 (docs/PROOFS.md §4) and the aggregated event
// (§12) share, over hostile bytes.

/** The list of no items every decoded event shares (most lists of most events are empty). */
const NO_ITEMS: readonly never[] = Object.freeze([]);
/** The endpoint of three empty fields every decoded event shares (a destination is mostly absent). */
const NO_ENDPOINT: Endpoint = Object.freeze({ system: '', region: '', host: '' });

/**
 * A `list<T>` whose count is checked against the event limit before any item is read. An empty list
 * is one shared frozen array.
 */
export function readList<T>(r: ByteReader, field: string, readItem: (field: string) => T): readonly T[] {
  const count = r.count(field);
  if (count > EVENT_LIMITS.maxListItems) {
    throw new EventError(
      'TOO_MANY',
      field,
      `${field}: has ${count} items, at most ${EVENT_LIMITS.maxListItems}`,
    );
  }
  if (count === 0) return NO_ITEMS;
  const items: T[] = [];
  for (let i = 0; i < count; i++) items.push(readItem(listItemName(field, i)));
  return items;
}

/** An endpoint; one of three empty fields is one shared frozen object. */
export function readEndpoint(r: ByteReader, field: string): Endpoint {
  const [system, region, host] = endpointFieldNames(field);
  const [s, g, h] = [r.str(system), r.str(region), r.str(host)];
  return s === '' && g === '' && h === '' ? NO_ENDPOINT : { system: s, region: g, host: h };
}

export function readAttribute(r: ByteReader, field: string): Attribute {
  const [key, value] = attributeFieldNames(field);
  return { key: r.str(key), value: r.str(value) };
}

/** Keys strictly ascending. Precondition: validated (ASCII, unique) keys, so `<` is bytewise order. */
export function checkAttributeOrder(attributes: readonly Attribute[]): void {
  for (let i = 1; i < attributes.length; i++) {
    const previous = attributes[i - 1]?.key ?? '';
    if (!(previous < (attributes[i]?.key ?? ''))) {
      const field = `attributes[${i}].key`;
      throw new EventError('EVENT_MALFORMED', field, `${field}: attributes are not sorted by key`);
    }
  }
}
