import { alerterV1, eventV1, ingestV1, verifierV1 } from '@msi/proto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { protoRegistry, requestSchemaOf } from './proto-schemas.js';
import { findDecodeProblem } from './strict-decode.js';

const SUBMIT_BATCH = requestSchemaOf('/msi.ingest.v1.IngestService/SubmitBatch');
const GET_HISTORY = requestSchemaOf('/msi.verifier.v1.VerifierService/GetHistory');
const MARK = '\u0001MARK\u0001';
/** Bytes that are not UTF-8 (a lone continuation byte, an overlong NUL, a surrogate), MARK's length. */
const NOT_UTF8 = [
  [0x61, 0x80, 0x61, 0x61, 0x61, 0x61],
  [0xc0, 0x80, 0x61, 0x61, 0x61, 0x61],
  [0xed, 0xa0, 0x80, 0x61, 0x61, 0x61],
];

function event(fields: Partial<eventV1.DataEvent>): eventV1.DataEvent {
  return eventV1.DataEvent.fromPartial({
    kind: eventV1.EventKind.EVENT_KIND_STORE,
    actor: 'alice',
    source: { system: 'app', region: 'eu', host: 'h1' },
    attributes: [{ key: 'classification', value: 'pii' }],
    ...fields,
  });
}

/** The encoded batch with the (one) occurrence of MARK replaced by `bytes`. */
function batchWith(events: eventV1.DataEvent[], bytes: readonly number[]): Uint8Array {
  const body = Buffer.from(ingestV1.SubmitBatchRequest.encode({ events }).finish());
  const at = body.indexOf(Buffer.from(MARK));
  expect(at).toBeGreaterThanOrEqual(0);
  body.set(bytes, at);
  return body;
}

describe('findDecodeProblem', () => {
  it('accepts what our encoders write', () => {
    const body = ingestV1.SubmitBatchRequest.encode({
      events: [event({}), event({ toTenant: 'ß→東京' })],
    }).finish();
    expect(findDecodeProblem(SUBMIT_BATCH, body)).toBeUndefined();
  });

  it.each([
    ['events[2].actor', (mark: string) => [event({}), event({}), event({ actor: mark })]],
    [
      'events[0].source.system',
      (mark: string) => [event({ source: { system: mark, region: '', host: '' } })],
    ],
    [
      'events[1].attributes[1].value',
      (mark: string) => [
        event({}),
        event({
          attributes: [
            { key: 'a', value: 'b' },
            { key: 'c', value: mark },
          ],
        }),
      ],
    ],
    ['events[0].tenant', (mark: string) => [event({ tenant: mark })]],
    ['events[0].to_tenant', (mark: string) => [event({ toTenant: mark })]],
  ])('refuses a string that is not UTF-8, naming %s', (field, events) => {
    for (const bytes of NOT_UTF8) {
      expect(findDecodeProblem(SUBMIT_BATCH, batchWith(events(MARK), bytes))).toEqual({
        field,
        message: 'not valid UTF-8 (proto3 strings must be)',
      });
    }
  });

  it('refuses a map entry that is not UTF-8, naming it', () => {
    const body = Buffer.from(
      alerterV1.Alert.encode(alerterV1.Alert.fromPartial({ details: { a: 'b', c: MARK } })).finish(),
    );
    body.set(NOT_UTF8[0] ?? [], body.indexOf(Buffer.from(MARK)));
    const schema = protoRegistry().getMessage('msi.alerter.v1.Alert');
    expect(schema).toBeDefined();
    if (schema !== undefined) expect(findDecodeProblem(schema, body)?.field).toBe('details[1].value');
  });

  it.each([
    ['a length past the end', [0x0a, 0x05, 0x22, 0x01], 'events[0]'],
    ['a truncated varint', [0x20, 0x80], 'page_size'],
    ['a group (wire type 3)', [0x0b, 0x0c], 'events[0]'],
    ['wire type 7 on an unknown field', [0xff, 0x01], '#31'],
    ['field number 0', [0x00, 0x01], ''],
    ['an 11-byte varint', [0x20, ...new Array(10).fill(0xff), 0x01], 'page_size'],
  ])('refuses %s', (_, bytes, field) => {
    const schema = field === 'page_size' ? GET_HISTORY : SUBMIT_BATCH;
    const problem = findDecodeProblem(schema, Uint8Array.from(bytes));
    expect(problem?.field).toBe(field);
  });

  it('refuses a known field in the wrong wire type (it would be dropped silently)', () => {
    // events[0].kind (field 3, varint) sent length-delimited.
    const body = Uint8Array.from([0x0a, 0x03, 0x1a, 0x01, 0x03]);
    expect(findDecodeProblem(SUBMIT_BATCH, body)).toEqual({
      field: 'events[0].kind',
      message: 'wire type 2 where 0 was expected',
    });
  });

  it('refuses a 32-bit field whose value does not fit 32 bits (it would be truncated)', () => {
    // page_size (field 4, uint32) = 2^32 + 5: a lenient reader takes 5.
    const big = Uint8Array.from([0x20, 0x85, 0x80, 0x80, 0x80, 0x10]);
    expect(findDecodeProblem(GET_HISTORY, big)?.field).toBe('page_size');
    const max = Uint8Array.from([0x20, 0xff, 0xff, 0xff, 0xff, 0x0f]);
    expect(findDecodeProblem(GET_HISTORY, max)).toBeUndefined();
    // An enum (int32) of -1 is encoded in 10 bytes: valid protobuf, refused later by its validator.
    const minusOne = eventV1.DataEvent.encode(
      eventV1.DataEvent.fromPartial({ kind: -1 as eventV1.EventKind }),
    ).finish();
    expect(
      findDecodeProblem(protoRegistry().getMessage('msi.event.v1.DataEvent') ?? SUBMIT_BATCH, minusOne),
    ).toBeUndefined();
  });

  it('skips unknown fields (a newer client) but checks their framing', () => {
    const known = verifierV1.GetHistoryRequest.encode({
      data: Buffer.alloc(33),
      fromUs: 1n,
      toUs: 0n,
      pageSize: 5,
      pageToken: '',
    }).finish();
    const unknown = Buffer.concat([
      Buffer.from(known),
      Buffer.from([0xf8, 0x01, 0x07, 0xfa, 0x01, 0x02, 0xff, 0xff]),
    ]);
    expect(findDecodeProblem(GET_HISTORY, unknown)).toBeUndefined();
    const truncated = Buffer.concat([Buffer.from(known), Buffer.from([0xfa, 0x01, 0x09, 0x00])]);
    expect(findDecodeProblem(GET_HISTORY, truncated)?.field).toBe('#31');
  });

  it('never throws, and whatever it accepts the generated decoder reads (random bodies)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (body) => {
        if (findDecodeProblem(SUBMIT_BATCH, body) === undefined) ingestV1.SubmitBatchRequest.decode(body);
        if (findDecodeProblem(GET_HISTORY, body) === undefined) verifierV1.GetHistoryRequest.decode(body);
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts every message with any strings the encoder writes (random strings)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string(), (actor, value) => {
        const body = ingestV1.SubmitBatchRequest.encode({
          events: [event({ actor, attributes: [{ key: 'k', value }] })],
        }).finish();
        expect(findDecodeProblem(SUBMIT_BATCH, body)).toBeUndefined();
      }),
      { numRuns: 500 },
    );
  });
});
