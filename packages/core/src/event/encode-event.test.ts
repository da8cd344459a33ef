import { portableHasher } from '@msi/merkle';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import vectors from '../../testdata/events.json' with { type: 'json' };
import { decodeEvent } from './decode-event.js';
import {
  encodeEvent,
  encodeValidatedEvent,
  encodeValidatedEvents,
  eventLeafHash,
  eventLeafHashes,
  sortAttributes,
  sortedAttributes,
} from './encode-event.js';
import { EventError } from './event-error.js';
import { arbEvent, sampleEvent, thrown } from './event-samples.test-helper.js';
import { type EventVectorJson, eventFromVectorJson, eventToVectorJson } from './event-vector.js';

const hasher = portableHasher();
const events = vectors.vectors.map((v) => ({ ...v, event: v.event as EventVectorJson }));
const vector = (name: string) => {
  const found = events.find((v) => v.name === name);
  if (found === undefined) throw new Error(`no vector ${name}`);
  return found;
};

describe('encodeEvent against testdata/events.json', () => {
  it('covers every kind, and attributes given out of order', () => {
    const kinds = new Set(events.map((v) => v.event.kind));
    expect([...kinds].sort()).toEqual(['ACCESS', 'DELETE', 'PROCESS', 'STATE', 'STORE', 'TRANSFER']);
    expect(events.some((v) => !isSorted(v.event.attributes.map((a) => a.key)))).toBe(true);
  });

  it.each(events)('$name: event → canonical bytes → leaf hash', ({ event, canonical, leafHash }) => {
    const bytes = encodeEvent(eventFromVectorJson(event));
    expect(bytesToHex(bytes)).toBe(canonical);
    expect(bytesToHex(encodeValidatedEvent(eventFromVectorJson(event)))).toBe(canonical);
    expect(bytesToHex(eventLeafHash(hasher, bytes))).toBe(leafHash);
    expect(bytesToHex(sha256(concat('00', canonical)))).toBe(leafHash);
  });

  it('eventLeafHashes: the leaf hash of every vector, packed in order, in one call', () => {
    const packed = eventLeafHashes(
      hasher,
      events.map((v) => hexToBytes(v.canonical)),
    );
    expect(bytesToHex(packed)).toBe(events.map((v) => v.leafHash).join(''));
  });

  it('encodeValidatedEvents: every vector in one call, each its canonical bytes, all views of one buffer', () => {
    const encoded = encodeValidatedEvents(events.map((v) => eventFromVectorJson(v.event)));
    expect(encoded.map((bytes) => bytesToHex(bytes))).toEqual(events.map((v) => v.canonical));
    expect(new Set(encoded.map((bytes) => bytes.buffer)).size).toBe(1);
    // The scratch writer is reused: a later call leaves earlier results as they were.
    encodeValidatedEvent(eventFromVectorJson(vector('store-minimal').event));
    expect(encoded.map((bytes) => bytesToHex(bytes))).toEqual(events.map((v) => v.canonical));
    expect(encodeValidatedEvents([])).toEqual([]);
  });

  it.each(events)('$name: canonical bytes → event (attributes sorted)', ({ event, canonical }) => {
    const decoded = decodeEvent(hexToBytes(canonical));
    expect(eventToVectorJson(decoded)).toEqual({ ...event, attributes: sortAttributes(event.attributes) });
  });
});

describe('canonical bytes assembled by hand from docs/PROOFS.md §2–§4', () => {
  it('store-minimal', () => {
    const pieces = [
      '4d534945', // magic "MSIE"
      '01', // version
      '0002 7431', // tenant str "t1"
      '017f22e2 79b0 7cc3 98c4 dc0c0c07398f', // event_id: RFC 9562 A.6 UUIDv7
      '03', // kind STORE
      '21 01 2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824', // data: L=33, sha256("hello")
      '0000', // inputs: none
      '0000', // outputs: none
      '0000', // to_tenant ""
      '0001 61', // actor "a"
      '0001 73', // submitter "s"
      '0000 0000 0000', // source: system, region, host ""
      '0000 0000 0000', // destination
      '0005d8a044ab5780', // occurred_at 1645557742000000 µs
      '0005d8a044ab5781', // received_at 1645557742000001 µs
      '0000', // parents: none
      '0000', // attributes: none
      '000102030405060708090a0b0c0d0e0f', // nonce
    ];
    const expected = pieces.join('').replaceAll(' ', '');
    expect(vector('store-minimal').canonical).toBe(expected);
    expect(bytesToHex(encodeEvent(eventFromVectorJson(vector('store-minimal').event)))).toBe(expected);
  });

  it('transfer-same-tenant sorts keys bytewise over UTF-8, not by locale', () => {
    const { attributes } = decodeEvent(hexToBytes(vector('transfer-same-tenant').canonical));
    expect(attributes.map((a) => a.key)).toEqual(['0', 'A', 'B', 'Z', 'a', 'a-b', 'a.b', 'a:b', 'a_b', 'b']);
  });

  it('access-unicode encodes 4-byte UTF-8 with its byte length', () => {
    // attribute "note" = "𝄞 music 🎵": 4 + 7 + 4 = 15 bytes
    const piece = `0004${hex('note')}000f f09d849e 206d7573696320 f09f8eb5`.replaceAll(' ', '');
    expect(vector('access-unicode').canonical).toContain(piece);
  });
});

describe('encodeEvent', () => {
  it('validates first', () => {
    const error = thrown(() =>
      encodeEvent(
        sampleEvent({
          attributes: [
            { key: 'k', value: 'a' },
            { key: 'k', value: 'b' },
          ],
        }),
      ),
    );
    expect(error).toMatchObject({ code: 'DUPLICATE', field: 'attributes[1].key' });
    expect(error).toBeInstanceOf(EventError);
  });

  it('does not reorder the caller’s attributes', () => {
    const event = sampleEvent();
    const before = event.attributes.map((a) => a.key);
    encodeEvent(event);
    expect(event.attributes.map((a) => a.key)).toEqual(before);
  });

  it('sortedAttributes: the same array when already in key order, else a sorted copy', () => {
    const sorted = [
      { key: 'a', value: '1' },
      { key: 'b', value: '2' },
    ];
    expect(sortedAttributes(sorted)).toBe(sorted);
    expect(sortedAttributes([])).toEqual([]);
    const unsorted = [
      { key: 'b', value: '2' },
      { key: 'a', value: '1' },
    ];
    const result = sortedAttributes(unsorted);
    expect(result).not.toBe(unsorted);
    expect(result).toEqual(sorted);
    expect(unsorted.map((a) => a.key)).toEqual(['b', 'a']);
  });

  it('property: decode ∘ encode is the identity (up to attribute order)', () => {
    fc.assert(
      fc.property(arbEvent, (event) => {
        const bytes = encodeEvent(event);
        const decoded = decodeEvent(bytes);
        expect(decoded).toEqual({ ...event, attributes: sortAttributes(event.attributes) });
        expect(bytesToHex(encodeEvent(decoded))).toBe(bytesToHex(bytes));
      }),
      { numRuns: 200 },
    );
  });

  it('property: bytes returned earlier stay intact while later events are encoded (one scratch writer)', () => {
    fc.assert(
      fc.property(fc.array(arbEvent, { minLength: 2, maxLength: 8 }), (events) => {
        const encoded = events.map((event) => encodeEvent(event));
        encoded.forEach((bytes, i) => {
          const event = events[i];
          if (event === undefined) throw new Error('unreachable');
          expect(decodeEvent(bytes)).toEqual({ ...event, attributes: sortAttributes(event.attributes) });
        });
      }),
      { numRuns: 50 },
    );
  });

  it('property: canonical bytes do not depend on the order of attributes', () => {
    const arbShuffled = arbEvent.chain((event) =>
      fc
        .shuffledSubarray([...event.attributes], { minLength: event.attributes.length })
        .map((attributes) => [event, { ...event, attributes }] as const),
    );
    fc.assert(
      fc.property(arbShuffled, ([event, shuffled]) => {
        expect(bytesToHex(encodeEvent(shuffled))).toBe(bytesToHex(encodeEvent(event)));
      }),
      { numRuns: 100 },
    );
  });
});

function isSorted(keys: readonly string[]): boolean {
  return keys.every((key, i) => i === 0 || (keys[i - 1] ?? '') < key);
}

function hex(text: string): string {
  return bytesToHex(new TextEncoder().encode(text));
}

function concat(...hexes: string[]): Uint8Array {
  return hexToBytes(hexes.join(''));
}
