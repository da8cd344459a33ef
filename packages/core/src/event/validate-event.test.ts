import { describe, expect, it } from 'vitest';
import type { Imprint } from '../imprint/index.js';
import type { DataEvent } from './data-event.js';
import { EventError, type EventErrorCode } from './event-error.js';
import { OTHER_UUID, RFC_UUID, sampleEvent, thrown } from './event-samples.test-helper.js';
import { validateEvent } from './validate-event.js';

const sha256Of = (byte: number): Imprint => ({ algorithm: 'sha256', digest: new Uint8Array(32).fill(byte) });
const transfer = (toTenant: string): Partial<DataEvent> => ({
  kind: 'TRANSFER',
  inputs: [],
  outputs: [],
  toTenant,
});
const store: Partial<DataEvent> = { kind: 'STORE', inputs: [], outputs: [] };
const notV7 = Uint8Array.from(RFC_UUID, (b, i) => (i === 6 ? (b & 0x0f) | 0x40 : b)); // version 4
const badVariant = Uint8Array.from(RFC_UUID, (b, i) => (i === 8 ? b & 0x3f : b)); // variant 0b00
const attrs = (...keys: string[]) => keys.map((key) => ({ key, value: 'v' }));
const endpoint = { system: '', region: '', host: '' };

// [name, changes to the valid sample, code, field]
const failures: [string, Partial<DataEvent>, EventErrorCode, string][] = [
  ['empty tenant', { tenant: '' }, 'TENANT_INVALID', 'tenant'],
  ['tenant of 65 bytes', { tenant: 'a'.repeat(65) }, 'TENANT_INVALID', 'tenant'],
  ['tenant with upper case', { tenant: 'Acme' }, 'TENANT_INVALID', 'tenant'],
  ['tenant starting with a dot', { tenant: '.acme' }, 'TENANT_INVALID', 'tenant'],
  ['tenant starting with a dash', { tenant: '-acme' }, 'TENANT_INVALID', 'tenant'],
  ['tenant with a space', { tenant: 'ac me' }, 'TENANT_INVALID', 'tenant'],
  ['tenant with non-ASCII', { tenant: 'acmé' }, 'TENANT_INVALID', 'tenant'],
  ['event_id of 15 bytes', { eventId: RFC_UUID.subarray(0, 15) }, 'UUID_INVALID', 'event_id'],
  ['event_id of version 4', { eventId: notV7 }, 'UUID_INVALID', 'event_id'],
  ['event_id of variant 0b00', { eventId: badVariant }, 'UUID_INVALID', 'event_id'],
  ['unknown kind', { kind: 'COPY' as DataEvent['kind'] }, 'KIND_INVALID', 'kind'],
  [
    'data of a deprecated algorithm',
    { data: { algorithm: 'sha1' as 'sha256', digest: new Uint8Array(20) } },
    'IMPRINT_INVALID',
    'data',
  ],
  [
    'data of an unknown algorithm',
    { data: { algorithm: 'md5' as 'sha256', digest: new Uint8Array(16) } },
    'IMPRINT_INVALID',
    'data',
  ],
  [
    'data digest too short',
    { data: { algorithm: 'sha256', digest: new Uint8Array(31) } },
    'IMPRINT_INVALID',
    'data',
  ],
  ['PROCESS without inputs', { inputs: [] }, 'KIND_MISMATCH', 'inputs'],
  ['PROCESS without outputs', { outputs: [] }, 'KIND_MISMATCH', 'outputs'],
  ['STORE with inputs', { ...store, inputs: [sha256Of(1)] }, 'KIND_MISMATCH', 'inputs'],
  ['STORE with outputs', { ...store, outputs: [sha256Of(1)] }, 'KIND_MISMATCH', 'outputs'],
  ['65 inputs', { inputs: Array.from({ length: 65 }, (_, i) => sha256Of(i)) }, 'TOO_MANY', 'inputs'],
  ['65 outputs', { outputs: Array.from({ length: 65 }, (_, i) => sha256Of(i)) }, 'TOO_MANY', 'outputs'],
  [
    'bad second input',
    { inputs: [sha256Of(1), { algorithm: 'sha512', digest: new Uint8Array(32) }] },
    'IMPRINT_INVALID',
    'inputs[1]',
  ],
  [
    'bad first output',
    { outputs: [{ algorithm: 'sha3-224', digest: new Uint8Array(29) }] },
    'IMPRINT_INVALID',
    'outputs[0]',
  ],
  ['to_tenant on STORE', { ...store, toTenant: 'globex' }, 'KIND_MISMATCH', 'to_tenant'],
  ['to_tenant on PROCESS', { toTenant: 'globex' }, 'KIND_MISMATCH', 'to_tenant'],
  ['invalid to_tenant on TRANSFER', transfer('Globex'), 'TENANT_INVALID', 'to_tenant'],
  ['to_tenant of 65 bytes', transfer('g'.repeat(65)), 'TENANT_INVALID', 'to_tenant'],
  ['empty actor', { actor: '' }, 'LENGTH_INVALID', 'actor'],
  ['actor of 257 bytes', { actor: `${'é'.repeat(128)}x` }, 'LENGTH_INVALID', 'actor'],
  ['actor with a lone surrogate', { actor: 'a\ud800b' }, 'TEXT_INVALID', 'actor'],
  ['actor with a leading BOM', { actor: '\ufeffalice' }, 'TEXT_INVALID', 'actor'],
  ['empty submitter', { submitter: '' }, 'LENGTH_INVALID', 'submitter'],
  ['submitter of 257 bytes', { submitter: 's'.repeat(257) }, 'LENGTH_INVALID', 'submitter'],
  [
    'source.system of 257 bytes',
    { source: { ...endpoint, system: 's'.repeat(257) } },
    'LENGTH_INVALID',
    'source.system',
  ],
  [
    'source.region with a lone low surrogate',
    { source: { ...endpoint, region: '\udc00' } },
    'TEXT_INVALID',
    'source.region',
  ],
  [
    'source.host of 257 bytes',
    { source: { ...endpoint, host: `${'🎵'.repeat(64)}h` } },
    'LENGTH_INVALID',
    'source.host',
  ],
  [
    'destination.system with a BOM',
    { destination: { ...endpoint, system: '\ufeff' } },
    'TEXT_INVALID',
    'destination.system',
  ],
  [
    'destination.region of 257 bytes',
    { destination: { ...endpoint, region: 'r'.repeat(257) } },
    'LENGTH_INVALID',
    'destination.region',
  ],
  [
    'destination.host of 257 bytes',
    { destination: { ...endpoint, host: 'h'.repeat(257) } },
    'LENGTH_INVALID',
    'destination.host',
  ],
  ['occurred_at 0', { occurredAt: 0 }, 'TIME_INVALID', 'occurred_at'],
  ['occurred_at negative', { occurredAt: -1 }, 'TIME_INVALID', 'occurred_at'],
  ['occurred_at fractional', { occurredAt: 1.5 }, 'TIME_INVALID', 'occurred_at'],
  ['occurred_at NaN', { occurredAt: Number.NaN }, 'TIME_INVALID', 'occurred_at'],
  ['occurred_at beyond 2^53 - 1', { occurredAt: 2 ** 53 }, 'TIME_INVALID', 'occurred_at'],
  ['received_at 0', { receivedAt: 0 }, 'TIME_INVALID', 'received_at'],
  ['received_at infinite', { receivedAt: Number.POSITIVE_INFINITY }, 'TIME_INVALID', 'received_at'],
  ['65 parents', { parents: Array.from({ length: 65 }, () => RFC_UUID) }, 'TOO_MANY', 'parents'],
  ['parent not a UUIDv7', { parents: [OTHER_UUID, notV7] }, 'UUID_INVALID', 'parents[1]'],
  ['repeated parent', { parents: [OTHER_UUID, RFC_UUID, OTHER_UUID] }, 'DUPLICATE', 'parents[2]'],
  [
    '65 attributes',
    { attributes: Array.from({ length: 65 }, (_, i) => ({ key: `k${i}`, value: '' })) },
    'TOO_MANY',
    'attributes',
  ],
  ['empty attribute key', { attributes: attrs('a', '') }, 'KEY_INVALID', 'attributes[1].key'],
  ['attribute key of 65 bytes', { attributes: attrs('k'.repeat(65)) }, 'KEY_INVALID', 'attributes[0].key'],
  ['attribute key with a space', { attributes: attrs('a', 'b', 'c d') }, 'KEY_INVALID', 'attributes[2].key'],
  ['attribute key with a slash', { attributes: attrs('a/b') }, 'KEY_INVALID', 'attributes[0].key'],
  ['attribute key with non-ASCII', { attributes: attrs('clé') }, 'KEY_INVALID', 'attributes[0].key'],
  ['repeated attribute key', { attributes: attrs('b', 'a', 'b') }, 'DUPLICATE', 'attributes[2].key'],
  [
    'attribute value of 257 bytes',
    { attributes: [{ key: 'k', value: 'v'.repeat(257) }] },
    'LENGTH_INVALID',
    'attributes[0].value',
  ],
  [
    'attribute value with a lone surrogate',
    { attributes: [{ key: 'k', value: '\ud83d' }] },
    'TEXT_INVALID',
    'attributes[0].value',
  ],
  ['nonce of 15 bytes', { nonce: new Uint8Array(15) }, 'LENGTH_INVALID', 'nonce'],
  ['nonce of 17 bytes', { nonce: new Uint8Array(17) }, 'LENGTH_INVALID', 'nonce'],
];

describe('validateEvent', () => {
  it('accepts the sample event', () => {
    expect(() => validateEvent(sampleEvent())).not.toThrow();
  });

  it.each(failures)('rejects %s', (_name, changes, code, field) => {
    const error = thrown(() => validateEvent(sampleEvent(changes)));
    expect(error).toBeInstanceOf(EventError);
    expect(error).toMatchObject({ code, field });
    expect((error as EventError).message.startsWith(`${field}: `)).toBe(true);
  });

  // [name, changes to the valid sample]: the limits themselves are valid.
  const limits: [string, Partial<DataEvent>][] = [
    [
      'tenant of 64 bytes of every allowed character',
      { tenant: `0${'abcxyz0189._-'.repeat(5)}`.slice(0, 64) },
    ],
    ['TRANSFER to another tenant', transfer('globex.eu-1')],
    ['TRANSFER within the tenant', transfer('')],
    [
      '64 inputs and 64 outputs',
      { inputs: Array(64).fill(sha256Of(1)), outputs: Array(64).fill(sha256Of(2)) },
    ],
    ['actor of 256 bytes of 4-byte UTF-8', { actor: '𝄞'.repeat(64) }],
    ['empty endpoints', { source: endpoint, destination: endpoint }],
    ['the largest times', { occurredAt: Number.MAX_SAFE_INTEGER, receivedAt: Number.MAX_SAFE_INTEGER }],
    ['time 1', { occurredAt: 1, receivedAt: 1 }],
    ['no parents, no attributes', { parents: [], attributes: [] }],
    [
      '64 attributes with every key character',
      { attributes: Array.from({ length: 64 }, (_, i) => ({ key: `Az09._:-${i}`, value: '' })) },
    ],
    [
      'attribute key of 64 bytes, value of 256 bytes',
      { attributes: [{ key: 'k'.repeat(64), value: 'é'.repeat(128) }] },
    ],
    ['a BOM inside a string (only a leading one is banned)', { actor: 'a\ufeff' }],
  ];
  it.each(limits)('accepts %s', (_name, changes) => {
    expect(() => validateEvent(sampleEvent(changes))).not.toThrow();
  });
});
