import { encodeEvent, encodeImprint, imprintOf, mintUuidV7 } from '@msi/core';
import { eventV1 } from '@msi/proto';
import { describe, expect, it } from 'vitest';
import { eventFromClient, type IngestStamp } from './event-from-client.js';
import { eventToProto } from './event-to-proto.js';
import { WireError } from './wire-error.js';

const stamp: IngestStamp = {
  tenant: 'acme',
  submitter: 'etl-service',
  receivedAt: 1_764_000_000_000_000,
  nonce: new Uint8Array(16).fill(7),
};
const data = Buffer.from(encodeImprint(imprintOf('sha256', new TextEncoder().encode('hello'))));

const ownId = Buffer.from(mintUuidV7(1_764_000_000_000, new Uint8Array(16).fill(1)));

function clientEvent(overrides: Partial<eventV1.DataEvent> = {}): eventV1.DataEvent {
  return eventV1.DataEvent.fromPartial({
    eventId: ownId,
    kind: eventV1.EventKind.EVENT_KIND_STORE,
    data,
    actor: 'alice',
    source: { system: 's3', region: 'eu-west-1', host: '' },
    occurredAtUs: 1_763_999_999_000_000n,
    attributes: [
      { key: 'classification', value: 'pii' },
      { key: 'app', value: 'crm' },
    ],
    ...overrides,
  });
}

function failure(run: () => unknown): WireError {
  try {
    run();
  } catch (error) {
    if (error instanceof WireError) return error;
    throw error;
  }
  throw new Error('expected a WireError');
}

describe('eventFromClient', () => {
  it('stamps tenant, submitter, received_at and nonce, and the result encodes', () => {
    const event = eventFromClient(clientEvent(), stamp, 'event');
    expect(event).toMatchObject({
      tenant: 'acme',
      submitter: 'etl-service',
      kind: 'STORE',
      receivedAt: stamp.receivedAt,
    });
    expect(encodeEvent(event).length).toBeGreaterThan(100);
  });

  it('round-trips through eventToProto once the ingest-set fields are cleared', () => {
    const event = eventFromClient(clientEvent(), stamp, '');
    const proto = eventToProto(event);
    const again = eventFromClient(
      { ...proto, submitter: '', receivedAtUs: 0n, nonce: Buffer.alloc(0) },
      stamp,
      '',
    );
    expect(encodeEvent(again)).toEqual(encodeEvent(event));
  });

  it('accepts a TRANSFER with an empty to_tenant (within the tenant) or to another tenant', () => {
    for (const toTenant of ['', 'globex']) {
      const transfer = clientEvent({ kind: eventV1.EventKind.EVENT_KIND_TRANSFER, toTenant });
      expect(eventFromClient(transfer, stamp, '').toTenant).toBe(toTenant);
    }
  });

  it.each([
    ['tenant', { tenant: 'other' }, 'PERMISSION_DENIED', 'events[2].tenant'],
    ['submitter', { submitter: 'mallory' }, 'INVALID_ARGUMENT', 'events[2].submitter'],
    ['received_at_us', { receivedAtUs: 5n }, 'INVALID_ARGUMENT', 'events[2].received_at_us'],
    ['nonce', { nonce: Buffer.alloc(16) }, 'INVALID_ARGUMENT', 'events[2].nonce'],
    ['kind', { kind: eventV1.EventKind.EVENT_KIND_UNSPECIFIED }, 'INVALID_ARGUMENT', 'events[2].kind'],
    ['missing data', { data: Buffer.alloc(0) }, 'INVALID_ARGUMENT', 'events[2].data'],
    ['unknown algorithm', { data: Buffer.from([0x42, 1, 2]) }, 'INVALID_ARGUMENT', 'events[2].data'],
    ['occurred_at 0', { occurredAtUs: 0n }, 'INVALID_ARGUMENT', 'events[2].occurred_at_us'],
    ['event id not v7', { eventId: Buffer.alloc(16) }, 'INVALID_ARGUMENT', 'events[2].event_id'],
    [
      'attribute key',
      { attributes: [{ key: 'bad key', value: 'x' }] },
      'INVALID_ARGUMENT',
      'events[2].attributes[0].key',
    ],
    ['inputs on STORE', { inputs: [data] }, 'INVALID_ARGUMENT', 'events[2].inputs'],
    [
      'a TRANSFER to its own tenant',
      { kind: eventV1.EventKind.EVENT_KIND_TRANSFER, toTenant: 'acme' },
      'INVALID_ARGUMENT',
      'events[2].to_tenant',
    ],
    [
      'a parent that is the event itself',
      { parents: [Buffer.from(mintUuidV7(1_763_000_000_000, new Uint8Array(16))), ownId] },
      'INVALID_ARGUMENT',
      'events[2].parents[1]',
    ],
  ] as const)('rejects %s naming the field', (_name, overrides, code, field) => {
    const error = failure(() =>
      eventFromClient(clientEvent(overrides as Partial<eventV1.DataEvent>), stamp, 'events[2]'),
    );
    expect(error.code).toBe(code);
    expect(error.field).toBe(field);
  });
});
