import {
  encodeImprint,
  formatUuid,
  imprintOf,
  isUuidV7,
  kindCode,
  parseImprintText,
  uuidV7Time,
} from '@msi/core';
import { eventV1 } from '@msi/proto';
import { describe, expect, it } from 'vitest';
import { buildEvent, type EventSpec, eventSpecFromJson } from './event-spec.js';

const DATA = `sha256:${'ab'.repeat(32)}`;
const context = { nowMs: 1_764_000_000_123, random16: () => new Uint8Array(16).fill(9) };
const base: EventSpec = {
  kind: 'store',
  data: DATA,
  actor: 'alice',
  inputs: [],
  outputs: [],
  attrs: [],
  parents: [],
};
const bytesOf = (text: string) => Buffer.from(encodeImprint(parseImprintText(text)));

describe('buildEvent', () => {
  it('mints a UUIDv7 at the clock, maps kind, data and defaults', () => {
    const event = buildEvent(base, undefined, context, 'flags');
    expect(isUuidV7(event.eventId)).toBe(true);
    expect(uuidV7Time(event.eventId)).toBe(context.nowMs);
    expect(event.kind).toBe(eventV1.EventKind.EVENT_KIND_STORE);
    expect(event.kind as number).toBe(kindCode('STORE'));
    expect(event.data).toEqual(bytesOf(DATA));
    expect(event.occurredAtUs).toBe(BigInt(context.nowMs) * 1000n);
    expect(event.source).toEqual({ system: '', region: '', host: '' });
    expect(event.tenant).toBe('');
    expect(event.submitter).toBe('');
    expect(event.nonce.length).toBe(0);
  });

  it('maps every optional field', () => {
    const parent = '0192f000-0000-7000-8000-000000000001';
    const eventId = '0192f000-0000-7000-8000-0000000000aa';
    const input = `sha3-256:${'01'.repeat(32)}`;
    const event = buildEvent(
      {
        ...base,
        kind: 'PROCESS',
        source: 's3/eu-west-1/host-a',
        destination: 'warehouse',
        toTenant: 'beta',
        inputs: [input],
        outputs: [DATA],
        attrs: ['classification=pii', 'note=a=b'],
        parents: [parent],
        eventId,
        occurredAt: '2026-11-25T01:02:03.456Z',
      },
      undefined,
      context,
      'flags',
    );
    expect(formatUuid(event.eventId)).toBe(eventId);
    expect(event.kind).toBe(eventV1.EventKind.EVENT_KIND_PROCESS);
    expect(event.source).toEqual({ system: 's3', region: 'eu-west-1', host: 'host-a' });
    expect(event.destination).toEqual({ system: 'warehouse', region: '', host: '' });
    expect(event.toTenant).toBe('beta');
    expect(event.inputs).toEqual([bytesOf(input)]);
    expect(event.outputs).toEqual([bytesOf(DATA)]);
    expect(event.attributes).toEqual([
      { key: 'classification', value: 'pii' },
      { key: 'note', value: 'a=b' },
    ]);
    expect(event.parents.map((p) => formatUuid(p))).toEqual([parent]);
    expect(event.occurredAtUs).toBe(BigInt(Date.parse('2026-11-25T01:02:03.456Z')) * 1000n);
  });

  it('uses a hashed data imprint when given one', () => {
    const imprint = imprintOf('sha256', new TextEncoder().encode('hello'));
    const { data: _, ...noData } = base;
    const event = buildEvent(noData, imprint, context, 'flags');
    expect(event.data).toEqual(Buffer.from(encodeImprint(imprint)));
  });

  it.each([
    ['no kind', { kind: undefined }, /line 3: the kind is missing/],
    ['an unknown kind', { kind: 'COPY' }, /unknown kind "COPY"/],
    ['no actor', { actor: undefined }, /the actor is missing/],
    ['no data', { data: undefined }, /no data: give --data/],
    ['a bad imprint', { data: 'md5:00' }, /data "md5:00" is not an imprint/],
    ['a bad input', { inputs: ['sha256:zz'] }, /input "sha256:zz" is not an imprint/],
    ['a bad parent', { parents: ['nope'] }, /parent "nope" is not a UUID/],
    ['a bad attribute', { attrs: ['=x'] }, /attribute "=x" is not key=value/],
    ['a bad endpoint', { source: 'a/b/c/d' }, /source "a\/b\/c\/d" is not system\/region\/host/],
    ['a bad time', { occurredAt: 'yesterday' }, /occurred-at "yesterday" is not an ISO 8601 time/],
  ])('rejects %s, naming where', (_, change, message) => {
    const spec = Object.fromEntries(
      Object.entries({ ...base, ...change }).filter(([, v]) => v !== undefined),
    ) as unknown as EventSpec;
    expect(() => buildEvent(spec, undefined, context, 'line 3')).toThrow(message);
  });
});

describe('eventSpecFromJson', () => {
  it('takes the long flag names, strings or arrays, and attr as an object', () => {
    const spec = eventSpecFromJson(
      {
        kind: 'TRANSFER',
        data: DATA,
        actor: 'bob',
        'to-tenant': 'beta',
        'data-file': '/tmp/x',
        input: DATA,
        output: [DATA, DATA],
        attr: { a: '1', b: '2' },
        parent: [],
        'event-id': 'id',
        'occurred-at': 'then',
      },
      'f:1',
    );
    expect(spec).toEqual({
      kind: 'TRANSFER',
      data: DATA,
      actor: 'bob',
      toTenant: 'beta',
      dataFile: '/tmp/x',
      inputs: [DATA],
      outputs: [DATA, DATA],
      attrs: ['a=1', 'b=2'],
      parents: [],
      eventId: 'id',
      occurredAt: 'then',
    });
  });

  it.each([
    ['a non-object', [1], /f:2: an event must be a JSON object/],
    ['an unknown member', { kinds: 'x' }, /f:2: unknown member "kinds"/],
    ['a non-string member', { actor: 7 }, /f:2: "actor" must be a string/],
    ['a bad list', { input: [1] }, /"input" must be a string or an array of strings/],
    ['a bad attribute value', { attr: { a: 1 } }, /attr "a" must be a string/],
  ])('rejects %s', (_, value, message) => {
    expect(() => eventSpecFromJson(value, 'f:2')).toThrow(message);
  });
});
