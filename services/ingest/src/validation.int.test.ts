import { Metadata, status } from '@grpc/grpc-js';
import { eventV1, type ingestV1 } from '@msi/proto';
import { useWorld } from '@msi/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  callError,
  clientFor,
  durableOf,
  freshEventId,
  KEYS,
  sampleEvent,
  snapshot,
  startTestIngest,
  submit,
  submitBatch,
  testEnv,
  writeCredentials,
} from './ingest.test-helper.js';
import type { RunningIngest } from './ingest-server.js';

const world = useWorld({ label: 'ingest_validation' });
const { natsUrl, prefix } = world;
let ingest: RunningIngest;
let acme: ingestV1.IngestServiceClient;
const opened: ingestV1.IngestServiceClient[] = [];
/** A client closed after the file. */
const other = (apiKey?: string) => {
  const client = clientFor(ingest.port, apiKey);
  opened.push(client);
  return client;
};

const MAX_BATCH = 10;
const SKEW_MS = 60_000;
const AGE_MS = 3_600_000;

beforeAll(async () => {
  const env = testEnv(natsUrl, prefix, writeCredentials(), {
    MSI_INGEST_MAX_BATCH: String(MAX_BATCH),
    MSI_INGEST_MAX_MESSAGE_BYTES: String(64 * 1024),
    MSI_INGEST_MAX_SKEW_MS: String(SKEW_MS),
    MSI_INGEST_MAX_AGE_MS: String(AGE_MS),
  });
  ingest = await startTestIngest(env);
  acme = clientFor(ingest.port, KEYS.acme);
  // One valid event first, so "no trace" compares against a non-empty stream and bucket.
  durableOf((await submit(acme, sampleEvent())).ack);
});

afterAll(async () => {
  acme?.close();
  for (const client of opened) client.close();
  await ingest?.close(1000);
});

const imprint = (id: number, length: number) => Buffer.from([id, ...new Uint8Array(length).fill(3)]);
const nowUs = () => BigInt(Date.now()) * 1000n;
const v4 = () => {
  const id = freshEventId();
  id[6] = ((id[6] ?? 0) & 0x0f) | 0x40;
  return id;
};

/** A batch of five valid events with `bad` at index 3 (all-or-nothing: none may leave a trace). */
const atThree = (bad: Partial<eventV1.DataEvent>) =>
  Array.from({ length: 5 }, (_, i) => (i === 3 ? sampleEvent(bad) : sampleEvent()));

const invalid: [string, () => eventV1.DataEvent[], string][] = [
  ['unspecified kind', () => atThree({ kind: eventV1.EventKind.EVENT_KIND_UNSPECIFIED }), 'events[3].kind'],
  ['missing data', () => atThree({ data: Buffer.alloc(0) }), 'events[3].data'],
  ['unknown imprint algorithm', () => atThree({ data: imprint(0x42, 32) }), 'events[3].data'],
  ['deprecated SHA-1 imprint', () => atThree({ data: imprint(0x00, 20) }), 'events[3].data'],
  ['digest of the wrong length', () => atThree({ data: imprint(0x01, 31) }), 'events[3].data'],
  ['event id that is a UUIDv4', () => atThree({ eventId: v4() }), 'events[3].event_id'],
  ['event id of 15 bytes', () => atThree({ eventId: freshEventId().subarray(0, 15) }), 'events[3].event_id'],
  ['empty actor', () => atThree({ actor: '' }), 'events[3].actor'],
  ['actor of 257 bytes', () => atThree({ actor: 'a'.repeat(257) }), 'events[3].actor'],
  ['submitter set by the client', () => atThree({ submitter: 'mallory' }), 'events[3].submitter'],
  ['received_at set by the client', () => atThree({ receivedAtUs: nowUs() }), 'events[3].received_at_us'],
  ['nonce set by the client', () => atThree({ nonce: Buffer.alloc(16) }), 'events[3].nonce'],
  ['occurred_at 0', () => atThree({ occurredAtUs: 0n }), 'events[3].occurred_at_us'],
  [
    'occurred_at beyond the allowed skew',
    () => atThree({ occurredAtUs: nowUs() + BigInt(SKEW_MS + 60_000) * 1000n }),
    'events[3].occurred_at_us',
  ],
  [
    'occurred_at older than the max age',
    () => atThree({ occurredAtUs: nowUs() - BigInt(AGE_MS + 60_000) * 1000n }),
    'events[3].occurred_at_us',
  ],
  [
    'bad attribute key',
    () => atThree({ attributes: [{ key: 'has space', value: 'x' }] }),
    'events[3].attributes[0].key',
  ],
  [
    'repeated attribute key',
    () =>
      atThree({
        attributes: [
          { key: 'a', value: '1' },
          { key: 'a', value: '2' },
        ],
      }),
    'events[3].attributes[1].key',
  ],
  [
    'attribute value of 257 bytes',
    () => atThree({ attributes: [{ key: 'k', value: 'v'.repeat(257) }] }),
    'events[3].attributes[0].value',
  ],
  [
    '65 attributes',
    () => atThree({ attributes: Array.from({ length: 65 }, (_, i) => ({ key: `k${i}`, value: '' })) }),
    'events[3].attributes',
  ],
  [
    'PROCESS without inputs',
    () => atThree({ kind: eventV1.EventKind.EVENT_KIND_PROCESS }),
    'events[3].inputs',
  ],
  ['STORE with inputs', () => atThree({ inputs: [imprint(1, 32)] }), 'events[3].inputs'],
  ['to_tenant on a STORE', () => atThree({ toTenant: 'globex' }), 'events[3].to_tenant'],
  [
    'a TRANSFER to its own tenant',
    () => atThree({ kind: eventV1.EventKind.EVENT_KIND_TRANSFER, toTenant: 'acme' }),
    'events[3].to_tenant',
  ],
  [
    'a parent that is the event itself',
    () => {
      const id = freshEventId();
      return atThree({ eventId: id, parents: [id] });
    },
    'events[3].parents[0]',
  ],
  ['a parent that is not a UUIDv7', () => atThree({ parents: [v4()] }), 'events[3].parents[0]'],
  [
    'a repeated parent',
    () => {
      const parent = freshEventId();
      return atThree({ parents: [parent, parent] });
    },
    'events[3].parents[1]',
  ],
  [
    'source.system of 257 bytes',
    () => atThree({ source: { system: 's'.repeat(257), region: '', host: '' } }),
    'events[3].source.system',
  ],
  [
    'an event id repeated with other content',
    () => {
      const first = sampleEvent();
      return [first, { ...first, actor: 'bob' }];
    },
    'events[1].event_id',
  ],
  ['an empty batch', () => [], 'events'],
];

describe('ingest rejects invalid input and leaves no trace', () => {
  it.each(invalid)('INVALID_ARGUMENT for %s, naming %s', async (_name, events, field) => {
    const before = await snapshot(natsUrl, prefix);
    const error = await callError(submitBatch(acme, events()));
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details.startsWith(`${field}:`)).toBe(true);
    const after = await snapshot(natsUrl, prefix);
    expect(after.batches.length).toBe(before.batches.length);
    expect(after.keys.sort()).toEqual(before.keys.sort());
  });

  const refused: [string, () => Promise<unknown>, status][] = [
    ['Submit without an event', () => submit(acme, undefined), status.INVALID_ARGUMENT],
    ['a tenant mismatch', () => submitBatch(acme, atThree({ tenant: 'globex' })), status.PERMISSION_DENIED],
    [
      'a credential without the emitter role',
      () => submitBatch(other(KEYS.acmeAuditor), atThree({})),
      status.PERMISSION_DENIED,
    ],
    ['an unknown API key', () => submitBatch(other('guess'), atThree({})), status.UNAUTHENTICATED],
    ['no credentials', () => submitBatch(other(), atThree({})), status.UNAUTHENTICATED],
    [
      'a malformed authorization header',
      () =>
        new Promise((resolve, reject) => {
          const metadata = new Metadata();
          metadata.set('authorization', `Basic ${KEYS.acme}`);
          other().submitBatch({ events: atThree({}) }, metadata, (error, response) =>
            error === null ? resolve(response) : reject(error),
          );
        }),
      status.UNAUTHENTICATED,
    ],
    [
      'more events than MSI_INGEST_MAX_BATCH',
      () =>
        submitBatch(
          acme,
          Array.from({ length: MAX_BATCH + 1 }, () => sampleEvent()),
        ),
      status.RESOURCE_EXHAUSTED,
    ],
    [
      'a message larger than MSI_INGEST_MAX_MESSAGE_BYTES',
      () =>
        submitBatch(
          acme,
          Array.from({ length: 8 }, () =>
            sampleEvent({
              attributes: Array.from({ length: 64 }, (_, i) => ({ key: `k${i}`, value: 'v'.repeat(256) })),
            }),
          ),
        ),
      status.RESOURCE_EXHAUSTED,
    ],
  ];

  it.each(refused)('refuses %s', async (_name, call, code) => {
    const before = await snapshot(natsUrl, prefix);
    expect((await callError(call())).code).toBe(code);
    const after = await snapshot(natsUrl, prefix);
    expect(after.batches.length).toBe(before.batches.length);
    expect(after.keys.sort()).toEqual(before.keys.sort());
  });

  it('counts at least 20 kinds of invalid input', () => {
    expect(invalid.length + refused.length).toBeGreaterThanOrEqual(20);
  });
});

describe('ingest bounds in-flight work', () => {
  it('answers RESOURCE_EXHAUSTED past MSI_INGEST_MAX_IN_FLIGHT instead of queueing', async () => {
    const small = await startTestIngest(
      testEnv(natsUrl, prefix, writeCredentials(), {
        MSI_INGEST_MAX_IN_FLIGHT: '20',
        MSI_INGEST_LINGER_MS: '200',
      }),
    );
    const client = clientFor(small.port, KEYS.acme);
    try {
      // 15 events linger 200 ms in their batches, holding 15 of the 20 slots meanwhile.
      const first = submitBatch(
        client,
        Array.from({ length: 15 }, () => sampleEvent()),
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      const error = await callError(
        submitBatch(
          client,
          Array.from({ length: 10 }, () => sampleEvent()),
        ),
      );
      expect(error.code).toBe(status.RESOURCE_EXHAUSTED);
      const { acks } = await first;
      expect(acks.every((ack) => ack.outcome?.$case === 'durable')).toBe(true);
      const again = await submitBatch(
        client,
        Array.from({ length: 10 }, () => sampleEvent()),
      );
      expect(again.acks).toHaveLength(10);
    } finally {
      client.close();
      await small.close(1000);
    }
  });

  it('keeps a different key of the same id per tenant: the same id from two tenants is two events', async () => {
    const id = freshEventId();
    const globex = clientFor(ingest.port, KEYS.globex);
    const a = durableOf((await submit(acme, sampleEvent({ eventId: id }))).ack);
    const b = durableOf((await submit(globex, sampleEvent({ eventId: id }))).ack);
    expect(a.duplicate).toBe(false);
    expect(b.duplicate).toBe(false);
    expect(a.leafHash).not.toEqual(b.leafHash);
    globex.close();
  });
});
