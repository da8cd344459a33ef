// Bodies no encoder writes, sent as raw bytes: ingest must refuse what it cannot anchor exactly,
// naming the field, and answer garbage UNAUTHENTICATED before the caller is known.
import { status } from '@grpc/grpc-js';
import { eventV1, ingestV1, streamV1 } from '@msi/proto';
import { deleteNatsNamespace, eventually, RawGrpcClient, testServerUrls, uniquePrefix } from '@msi/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  durableOf,
  KEYS,
  sampleEvent,
  snapshot,
  startTestIngest,
  testEnv,
  writeCredentials,
} from './ingest.test-helper.js';
import type { RunningIngest } from './ingest-server.js';

const { natsUrl } = testServerUrls();
const prefix = uniquePrefix();
const SUBMIT = '/msi.ingest.v1.IngestService/Submit';
const SUBMIT_BATCH = '/msi.ingest.v1.IngestService/SubmitBatch';
const SUBMIT_STREAM = '/msi.ingest.v1.IngestService/SubmitStream';
const MARK = 'MARK';
/** A lone continuation byte: what the protobuf reader turned into U+FFFD and ingest acked. */
const NOT_UTF8 = [0x61, 0x80, 0x61, 0x61];
let ingest: RunningIngest;
let raw: RawGrpcClient;

beforeAll(async () => {
  ingest = await startTestIngest(testEnv(natsUrl, prefix, writeCredentials()));
  raw = new RawGrpcClient(`127.0.0.1:${ingest.port}`);
});

afterAll(async () => {
  raw?.close();
  await ingest?.close(1000);
  await deleteNatsNamespace(natsUrl, prefix);
});

/** `body` with its one occurrence of MARK replaced by bytes that are not UTF-8. */
function spoiled(body: Uint8Array): Buffer {
  const bytes = Buffer.from(body);
  const at = bytes.indexOf(Buffer.from(MARK));
  expect(at).toBeGreaterThanOrEqual(0);
  bytes.set(NOT_UTF8, at);
  return bytes;
}

const batchOf = (events: eventV1.DataEvent[]) => ingestV1.SubmitBatchRequest.encode({ events }).finish();
const atTwo = (bad: Partial<eventV1.DataEvent>) =>
  Array.from({ length: 4 }, (_, i) => (i === 2 ? sampleEvent(bad) : sampleEvent()));

describe('ingest decodes requests strictly', () => {
  it.each([
    ['actor', atTwo({ actor: MARK }), 'events[2].actor'],
    ['source.system', atTwo({ source: { system: MARK, region: 'eu', host: '' } }), 'events[2].source.system'],
    [
      'an attribute value',
      atTwo({ attributes: [{ key: 'k', value: MARK }] }),
      'events[2].attributes[0].value',
    ],
    ['an attribute key', atTwo({ attributes: [{ key: MARK, value: 'v' }] }), 'events[2].attributes[0].key'],
    [
      'to_tenant',
      atTwo({ kind: eventV1.EventKind.EVENT_KIND_TRANSFER, toTenant: MARK }),
      'events[2].to_tenant',
    ],
    ['tenant', atTwo({ tenant: MARK }), 'events[2].tenant'],
  ])(
    'refuses invalid UTF-8 in %s with INVALID_ARGUMENT naming the field, leaving no trace',
    async (_, events, field) => {
      const before = await snapshot(natsUrl, prefix);
      const answer = await raw.unary(SUBMIT_BATCH, spoiled(batchOf(events)), KEYS.acme);
      expect(answer.code).toBe(status.INVALID_ARGUMENT);
      expect(answer.details).toBe(`${field}: not valid UTF-8 (proto3 strings must be)`);
      const after = await snapshot(natsUrl, prefix);
      expect(after.batches.length).toBe(before.batches.length);
      expect(after.keys.sort()).toEqual(before.keys.sort());
    },
  );

  it('still acks the same event with valid UTF-8 (U+FFFD itself is a valid character)', async () => {
    const event = sampleEvent({ actor: 'a\uFFFDaa' });
    const answer = await raw.unary(SUBMIT_BATCH, batchOf([event]), KEYS.acme);
    expect(answer.code).toBe(status.OK);
    durableOf(ingestV1.SubmitBatchResponse.decode(answer.messages[0] ?? Buffer.alloc(0)).acks[0]);
  });

  it('answers a body that is not protobuf UNAUTHENTICATED without a key, INVALID_ARGUMENT with one; both reported', async () => {
    const garbage = Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]);
    const anonymous = await raw.unary(SUBMIT, garbage);
    expect(anonymous.code).toBe(status.UNAUTHENTICATED);
    const wrongKey = await raw.unary(SUBMIT, garbage, 'guess');
    expect(wrongKey.code).toBe(status.UNAUTHENTICATED);
    const known = await raw.unary(SUBMIT, garbage, KEYS.acme);
    expect(known.code).toBe(status.INVALID_ARGUMENT);
    expect(known.details).toMatch(/^event: /);
    await eventually('the three security events', async () => {
      const reported = (await snapshot(natsUrl, prefix)).security.filter((e) => e.method === SUBMIT);
      return reported.length === 3;
    });
    const reported = (await snapshot(natsUrl, prefix)).security.filter((e) => e.method === SUBMIT);
    expect(reported.map((e) => [e.kind, e.reason, e.principal])).toEqual([
      [streamV1.SecurityEventKind.SECURITY_EVENT_KIND_UNAUTHENTICATED, 'missing_credentials', ''],
      [streamV1.SecurityEventKind.SECURITY_EVENT_KIND_UNAUTHENTICATED, 'unknown_api_key', ''],
      [
        streamV1.SecurityEventKind.SECURITY_EVENT_KIND_MALFORMED_REQUEST,
        'undecodable_request',
        'etl-service',
      ],
    ]);
    expect(reported.every((e) => e.service === 'ingest')).toBe(true);
  });

  it('ends a stream at the request that does not decode, naming it, after acking the ones before', async () => {
    const good = ingestV1.SubmitStreamRequest.encode({ sequence: 1n, events: [sampleEvent()] }).finish();
    const bad = spoiled(
      ingestV1.SubmitStreamRequest.encode({ sequence: 2n, events: [sampleEvent({ actor: MARK })] }).finish(),
    );
    const answer = await raw.bidiStream(SUBMIT_STREAM, [good, bad], KEYS.acme);
    expect(answer.code).toBe(status.INVALID_ARGUMENT);
    expect(answer.details).toBe('requests[2].events[0].actor: not valid UTF-8 (proto3 strings must be)');
    const responses = answer.messages.map((m) => ingestV1.SubmitStreamResponse.decode(m));
    expect(responses.at(-1)?.through).toBe(1n);
  });
});
