import { portableHasher } from '@msi/merkle';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import vectors from '../../testdata/events.json' with { type: 'json' };
import { decodeEvent } from './decode-event.js';
import { encodeEvent, eventLeafHash } from './encode-event.js';
import { EventError, type EventErrorCode } from './event-error.js';
import { arbEvent, sampleEvent, thrown } from './event-samples.test-helper.js';

const hasher = portableHasher();
const canonicals = vectors.vectors.map((v) => ({ name: v.name, bytes: hexToBytes(v.canonical) }));

/** The canonical bytes of `event` with `from` (hex) replaced by `to` (hex); `from` must occur once. */
function patched(event: Parameters<typeof encodeEvent>[0], from: string, to: string): Uint8Array {
  const hex = bytesToHex(encodeEvent(event));
  expect(hex.split(from).length, `${from} occurs once`).toBe(2);
  return hexToBytes(hex.replace(from, to));
}

const utf8 = (text: string): string => bytesToHex(new TextEncoder().encode(text));
const str = (text: string): string => `${(text.length / 2).toString(16).padStart(4, '0')}${text}`;

function rejection(bytes: Uint8Array): { code: EventErrorCode; field: string } {
  const error = thrown(() => decodeEvent(bytes));
  expect(error).toBeInstanceOf(EventError);
  const { code, field } = error as EventError;
  return { code, field };
}

describe('decodeEvent rejects', () => {
  it.each(canonicals)('$name truncated at every byte offset', ({ bytes }) => {
    for (let length = 0; length < bytes.length; length++) {
      expect(rejection(bytes.subarray(0, length)).code).toBe('EVENT_MALFORMED');
    }
  });

  it.each(canonicals)('$name with a trailing byte', ({ bytes }) => {
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    expect(rejection(longer)).toEqual({ code: 'EVENT_MALFORMED', field: '' });
  });

  const sample = sampleEvent({
    attributes: [
      { key: 'a', value: 'x' },
      { key: 'b', value: 'y' },
    ],
  });
  const base = bytesToHex(encodeEvent(sample));
  const attrA = `${str(utf8('a'))}${str(utf8('x'))}`;
  const attrB = `${str(utf8('b'))}${str(utf8('y'))}`;
  // [name, bytes, code, field]
  const cases: [string, () => Uint8Array, EventErrorCode, string][] = [
    ['another magic', () => hexToBytes(`4d534953${base.slice(8)}`), 'EVENT_MALFORMED', 'magic'],
    ['version 0', () => hexToBytes(`4d53494500${base.slice(10)}`), 'EVENT_MALFORMED', 'version'],
    ['version 2', () => hexToBytes(`4d53494502${base.slice(10)}`), 'EVENT_MALFORMED', 'version'],
    [
      'unsorted attributes',
      () => patched(sample, attrA + attrB, attrB + attrA),
      'EVENT_MALFORMED',
      'attributes[1].key',
    ],
    [
      'repeated attribute key',
      () => patched(sample, attrA + attrB, attrA + attrA),
      'DUPLICATE',
      'attributes[1].key',
    ],
    [
      'ill-formed UTF-8 (lone continuation byte)',
      () => patched(sample, str(utf8('alice')), '0005616c8063'),
      'EVENT_MALFORMED',
      'actor',
    ],
    [
      'overlong UTF-8 ("/" as c0 af)',
      () => patched(sample, str(utf8('alice')), '0005616cc0af65'),
      'EVENT_MALFORMED',
      'actor',
    ],
    [
      'UTF-8 of a surrogate (ed a0 80)',
      () => patched(sample, str(utf8('alice')), '0005616ced a080'.replace(' ', '')),
      'EVENT_MALFORMED',
      'actor',
    ],
    [
      'UTF-8 cut inside a character',
      () => patched(sample, str(utf8('alice')), '000561626364e2'),
      'EVENT_MALFORMED',
      'actor',
    ],
    [
      'a leading BOM',
      () => patched(sample, str(utf8('alice')), `0008efbbbf${utf8('alice')}`),
      'EVENT_MALFORMED',
      'actor',
    ],
    [
      'an event_id of version 4',
      () => patched(sample, '017f22e279b07cc3', '017f22e279b04cc3'),
      'UUID_INVALID',
      'event_id',
    ],
    [
      'an event_id of the wrong variant',
      () => patched(sample, '7cc398c4', '7cc318c4'),
      'UUID_INVALID',
      'event_id',
    ],
    [
      'kind 0',
      () => patched(sample, `7cc398c4dc0c0c07398f02`, `7cc398c4dc0c0c07398f00`),
      'KIND_INVALID',
      'kind',
    ],
    [
      'kind 7',
      () => patched(sample, `7cc398c4dc0c0c07398f02`, `7cc398c4dc0c0c07398f07`),
      'KIND_INVALID',
      'kind',
    ],
    [
      'a data imprint of SHA-1',
      () => patched(sample, '7cc398c4dc0c0c07398f022101', `7cc398c4dc0c0c07398f021500${'00'.repeat(20)}`),
      'EVENT_MALFORMED',
      'data',
    ],
    // the one parent is OTHER_UUID, minted at 1748736000000 ms = 0x019728c9c000
    ['65 parents', () => patched(sample, '0001019728c9c000', '0041019728c9c000'), 'TOO_MANY', 'parents'],
    [
      'time 0',
      () => patched(sampleEvent({ occurredAt: 0x0102030405 }), '0000000102030405', '0000000000000000'),
      'TIME_INVALID',
      'occurred_at',
    ],
    [
      'a u64 above 2^53 - 1',
      () => patched(sampleEvent({ occurredAt: 0x0102030405 }), '0000000102030405', '0020000000000000'),
      'EVENT_MALFORMED',
      'occurred_at',
    ],
  ];
  it.each(cases)('%s', (_name, bytes, code, field) => {
    expect(rejection(bytes())).toEqual({ code, field });
  });
});

describe('decodeEvent on hostile bytes', () => {
  const valid = fc.tuple(arbEvent).map(([event]) => encodeEvent(event));

  it('property: a single-byte change fails to decode, or decodes to another event with another leaf hash', () => {
    const mutation = valid.chain((bytes) =>
      fc.tuple(fc.constant(bytes), fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 })),
    );
    fc.assert(
      fc.property(mutation, ([bytes, at, xor]) => {
        const mutated = bytes.slice();
        mutated[at] = (mutated[at] ?? 0) ^ xor;
        const error = thrown(() => {
          const decoded = decodeEvent(mutated);
          // Accepted: then it is canonical (re-encodes to itself) and hashes differently.
          expect(bytesToHex(encodeEvent(decoded))).toBe(bytesToHex(mutated));
          expect(bytesToHex(eventLeafHash(hasher, mutated))).not.toBe(
            bytesToHex(eventLeafHash(hasher, bytes)),
          );
        });
        if (error !== undefined) expect(error).toBeInstanceOf(EventError);
      }),
      { numRuns: 300 },
    );
  });

  it('property: random bytes after a valid header throw EventError and nothing else', () => {
    const header = fc
      .uint8Array({ maxLength: 200 })
      .map((tail) => Uint8Array.from([0x4d, 0x53, 0x49, 0x45, 1, ...tail]));
    fc.assert(
      fc.property(header, (bytes) => {
        expect(thrown(() => decodeEvent(bytes))).toBeInstanceOf(EventError);
      }),
      { numRuns: 300 },
    );
  });

  it('returns values that do not alias the input', () => {
    const bytes = encodeEvent(sampleEvent());
    const event = decodeEvent(bytes);
    const snapshot = bytesToHex(event.nonce) + bytesToHex(event.eventId) + bytesToHex(event.data.digest);
    bytes.fill(0);
    expect(bytesToHex(event.nonce) + bytesToHex(event.eventId) + bytesToHex(event.data.digest)).toBe(
      snapshot,
    );
  });

  it('returns empty lists and an empty endpoint that no caller can change for the next event', () => {
    const bare = { ...sampleEvent({ kind: 'ACCESS' }), inputs: [], outputs: [], parents: [], attributes: [] };
    const empty = { system: '', region: '', host: '' };
    const first = decodeEvent(encodeEvent({ ...bare, destination: empty }));
    for (const list of [first.inputs, first.outputs, first.parents, first.attributes]) {
      expect(list).toEqual([]);
      expect(() => (list as unknown[]).push(1)).toThrow(TypeError);
    }
    expect(() => Object.assign(first.destination, { host: 'x' })).toThrow(TypeError);
    const second = decodeEvent(encodeEvent({ ...bare, destination: empty }));
    expect([second.inputs, second.outputs, second.parents, second.attributes]).toEqual([[], [], [], []]);
    expect(second.destination).toEqual(empty);
  });
});
