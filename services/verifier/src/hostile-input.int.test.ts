// What a red-team run found at the verifier's edge: time-bounded histories failing INTERNAL, numbers
// Postgres refuses, undecodable bodies answered INTERNAL before any handler, and a public
// VerifyReceipt that one call could keep busy for seconds. Each answer here names the field.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { encodeImprint, imprintOf, mintUuidV7 } from '@msi/core';
import { nodeEd25519, nodeHasher } from '@msi/crypto-node';
import { connectNats, subjectsFor } from '@msi/nats';
import { eventV1, streamV1, verifierV1 } from '@msi/proto';
import { createLogger } from '@msi/service-kit';
import { type Pipeline, startPipeline } from '@msi/stack';
import {
  createFreshDatabase,
  deleteNatsNamespace,
  type FreshDatabase,
  freePort,
  RawGrpcClient,
  repositoryRoot,
  testServerUrls,
  uniquePrefix,
} from '@msi/testkit';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeys } from './credentials.js';
import { emitEvents } from './emit.test-helper.js';
import { VERIFY_LIMITS } from './request-checks.js';
import { type RunningTestVerifier, startTestVerifier } from './verifier.test-helper.js';

const prefix = uniquePrefix();
const KEYS = [
  { key: 'acme-emitter', tenant: 'acme', principal: 'acme-etl', roles: ['emitter'] as const },
  { key: 'acme-auditor', tenant: 'acme', principal: 'acme-audit', roles: ['auditor'] as const },
];
const SERVICE = '/msi.verifier.v1.VerifierService';
let pipeline: Pipeline;
let database: FreshDatabase;
let workDir: string;
let nc: NatsConnection;
let verifier: RunningTestVerifier;
let client: verifierV1.VerifierServiceClient;
let raw: RawGrpcClient;
const security: streamV1.SecurityEvent[] = [];

beforeAll(async () => {
  const { natsUrl, databaseUrl } = testServerUrls();
  database = await createFreshDatabase(databaseUrl, 'verifier_hostile');
  workDir = await mkdtemp(join(tmpdir(), 'msi-verifier-hostile-'));
  pipeline = await startPipeline({
    root: repositoryRoot(),
    workDir,
    natsUrl,
    databaseUrl: database.url,
    prefix,
    shards: 2,
    roundIntervalMs: 300,
    aggregators: 1,
    ingestPort: await freePort(),
    apiKeys: KEYS.map((k) => ({ ...k, roles: [...k.roles] })),
    logLevel: 'warn',
  });
  await pipeline.waitUntilServing(30_000);
  nc = await connectNats({ servers: natsUrl, name: 'verifier-hostile-test' });
  const sub = nc.subscribe(subjectsFor(prefix).security);
  void (async () => {
    for await (const m of sub) security.push(streamV1.SecurityEvent.decode(m.data));
  })();
  verifier = await startTestVerifier({
    nc,
    databaseUrl: database.url,
    prefix,
    calendarKey: pipeline.verifierKey,
    keys: ApiKeys.fromJson(JSON.stringify({ credentials: KEYS })),
    hasher: nodeHasher(),
    ed25519: nodeEd25519(),
    host: '127.0.0.1',
    port: 0,
    log: createLogger({ service: 'verifier', level: 'error', write: () => {} }),
  });
  client = new verifierV1.VerifierServiceClient(`127.0.0.1:${verifier.port}`, credentials.createInsecure());
  raw = new RawGrpcClient(`127.0.0.1:${verifier.port}`);
}, 90_000);

afterAll(async () => {
  client?.close();
  raw?.close();
  await verifier?.stop();
  await pipeline?.stop();
  await nc?.close();
  await database?.drop();
  await deleteNatsNamespace(testServerUrls().natsUrl, prefix);
  if (workDir !== undefined) await rm(workDir, { recursive: true, force: true });
});

type Method<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: { deadline: number },
  callback: (error: ServiceError | null, response?: Res) => void,
) => unknown;

function call<Req, Res>(
  method: Method<Req, Res>,
  request: Req,
  apiKey = '',
  timeoutMs = 20_000,
): Promise<Res> {
  const metadata = new Metadata();
  if (apiKey !== '') metadata.set('authorization', `Bearer ${apiKey}`);
  return new Promise((resolve, reject) => {
    method.call(client, request, metadata, { deadline: Date.now() + timeoutMs }, (error, response) =>
      error !== null || response === undefined ? reject(error) : resolve(response),
    );
  });
}

async function refusal(promise: Promise<unknown>): Promise<{ code: status; details: string }> {
  const error = await promise.then(
    () => undefined,
    (e: ServiceError) => e,
  );
  if (error === undefined) throw new Error('the call succeeded but was expected to fail');
  return { code: error.code, details: error.details };
}

const imprint = (text: string) =>
  Buffer.from(encodeImprint(imprintOf('sha256', new TextEncoder().encode(text))));

async function submitStore(data: Buffer): Promise<eventV1.DataEvent> {
  const event = eventV1.DataEvent.fromPartial({
    eventId: Buffer.from(mintUuidV7(Date.now(), globalThis.crypto.getRandomValues(new Uint8Array(16)))),
    kind: eventV1.EventKind.EVENT_KIND_STORE,
    data,
    actor: 'alice',
    occurredAtUs: BigInt(Date.now()) * 1000n,
  });
  await emitEvents(pipeline.ingestAddress, 'acme-emitter', [event]);
  return event;
}

describe('the verifier refuses hostile input naming the field, never INTERNAL', () => {
  it('serves a time-bounded history (from_us / to_us beyond 32 bits)', async () => {
    const data = imprint('time-bounded');
    const before = BigInt(Date.now() - 60_000) * 1000n;
    const event = await submitStore(data);
    await call(client.getReceipt, { eventId: event.eventId, wait: true }, 'acme-auditor');
    const history = (fromUs: bigint, toUs: bigint) =>
      call(client.getHistory, { data, fromUs, toUs, pageSize: 10, pageToken: '' }, 'acme-auditor');
    const after = BigInt(Date.now() + 60_000) * 1000n;
    expect((await history(before, after)).entries).toHaveLength(1);
    expect((await history(before, 0n)).entries).toHaveLength(1);
    expect((await history(0n, after)).entries).toHaveLength(1);
    expect((await history(after, 0n)).entries).toHaveLength(0);
    expect((await history(0n, before)).entries).toHaveLength(0);
    expect(await refusal(history(-1n, 0n))).toMatchObject({
      code: status.OUT_OF_RANGE,
      details: /^from_us: /,
    });
  }, 60_000);

  it.each([
    [
      'GetCheckpoint size 2^63',
      () => call(client.getCheckpoint, { size: 2n ** 63n, cosigned: false }),
      status.OUT_OF_RANGE,
      'size',
    ],
    [
      'GetRound round 2^63',
      () => call(client.getRound, { selector: { $case: 'round', value: 2n ** 63n } }),
      status.OUT_OF_RANGE,
      'round',
    ],
    [
      'GetRound at_us −1',
      () => call(client.getRound, { selector: { $case: 'atUs', value: -1n } }),
      status.OUT_OF_RANGE,
      'at_us',
    ],
    [
      'GetConsistencyProof new_size 2^64 − 1',
      () => call(client.getConsistencyProof, { oldSize: 1n, newSize: 2n ** 64n - 1n }),
      status.OUT_OF_RANGE,
      'new_size',
    ],
    [
      'GetConsistencyProof old_size 0',
      () => call(client.getConsistencyProof, { oldSize: 0n, newSize: 1n }),
      status.INVALID_ARGUMENT,
      'old_size',
    ],
    [
      'GetReceipt with an event id of 3 bytes',
      () => call(client.getReceipt, { eventId: Buffer.from([1, 2, 3]), wait: false }, 'acme-auditor'),
      status.INVALID_ARGUMENT,
      'event_id',
    ],
    [
      'GetHistory with a data imprint of an unknown algorithm',
      () =>
        call(
          client.getHistory,
          { data: Buffer.alloc(33, 0x42), fromUs: 0n, toUs: 0n, pageSize: 0, pageToken: '' },
          'acme-auditor',
        ),
      status.INVALID_ARGUMENT,
      'data',
    ],
    [
      'GetHistory with a page token it never gave out',
      () =>
        call(
          client.getHistory,
          { data: imprint('x'), fromUs: 0n, toUs: 0n, pageSize: 0, pageToken: '1e400' },
          'acme-auditor',
        ),
      status.INVALID_ARGUMENT,
      'page_token',
    ],
  ])('answers %s with its status, naming the field', async (_, request, code, field) => {
    const answer = await refusal(request());
    expect(answer.code).toBe(code);
    expect(answer.details.startsWith(`${field}: `)).toBe(true);
  });

  it('refuses a VerifyReceipt with more trusted keys than its limit, and answers another call beside it', async () => {
    const keys = Array.from({ length: 50_000 }, (_, i) => `k${i}+00000000+AQ${'A'.repeat(42)}`);
    const [big, small] = await Promise.all([
      refusal(
        call(client.verifyReceipt, { receipt: undefined, trustedKeys: keys, witnessKeys: [], quorum: 0 }),
      ),
      refusal(call(client.getReceipt, { eventId: Buffer.alloc(16, 7), wait: false }, 'acme-auditor')),
    ]);
    expect(big.code).toBe(status.INVALID_ARGUMENT);
    expect(big.details).toBe(`trusted_keys: at most ${VERIFY_LIMITS.trustedKeys} keys (got 50000)`);
    expect(small.code).toBe(status.NOT_FOUND);
  });

  it('answers a `wait` for an id that never arrives NOT_FOUND just before the deadline', async () => {
    const started = Date.now();
    const answer = await refusal(
      call(client.getReceipt, { eventId: Buffer.alloc(16, 9), wait: true }, 'acme-auditor', 1500),
    );
    expect(answer.code).toBe(status.NOT_FOUND);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it('answers an undecodable body UNAUTHENTICATED without a key, INVALID_ARGUMENT with one or on a public method', async () => {
    const garbage = Buffer.from([0x0a, 0x7f, 0x00]);
    expect((await raw.unary(`${SERVICE}/GetReceipt`, garbage)).code).toBe(status.UNAUTHENTICATED);
    const known = await raw.unary(`${SERVICE}/GetReceipt`, garbage, 'acme-auditor');
    expect(known).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: 'event_id: its length runs past the end of the body',
    });
    const keyNotUtf8 = Buffer.concat([
      verifierV1.VerifyReceiptRequest.encode({
        receipt: undefined,
        trustedKeys: ['a'],
        witnessKeys: [],
        quorum: 0,
      }).finish(),
      Buffer.from([0x12, 0x02, 0xc3, 0x28]),
    ]);
    const verify = await raw.unary(`${SERVICE}/VerifyReceipt`, keyNotUtf8);
    expect(verify).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: 'trusted_keys[1]: not valid UTF-8 (proto3 strings must be)',
    });
    const kinds = streamV1.SecurityEventKind;
    await expect
      .poll(() =>
        security.filter((e) => e.service === 'verifier').map((e) => [e.kind, e.reason, e.principal]),
      )
      .toEqual(
        expect.arrayContaining([
          [kinds.SECURITY_EVENT_KIND_UNAUTHENTICATED, 'missing_credentials', ''],
          [kinds.SECURITY_EVENT_KIND_MALFORMED_REQUEST, 'undecodable_request', 'acme-audit'],
          [kinds.SECURITY_EVENT_KIND_MALFORMED_REQUEST, 'undecodable_request', ''],
        ]),
      );
  });
});
