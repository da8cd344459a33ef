// The verifier's Postgres restarts under it (a throwaway embedded cluster, never the machine's
// shared one): the verifier must stay up, answer UNAVAILABLE with a retry hint meanwhile — never
// INTERNAL, never crash on a pg client's 'error' event (57P01) — and serve again once it is back.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { encodeImprint, imprintOf, mintUuidV7 } from '@msi/core';
import { nodeEd25519, nodeHasher } from '@msi/crypto-node';
import { connectNats } from '@msi/nats';
import { eventV1, verifierV1 } from '@msi/proto';
import { createLogger } from '@msi/service-kit';
import { type Pipeline, startPipeline } from '@msi/stack';
import {
  createFreshDatabase,
  deleteNatsNamespace,
  type EmbeddedPostgresServer,
  type FreshDatabase,
  freePort,
  repositoryRoot,
  startEmbeddedPostgres,
  testServerUrls,
  uniquePrefix,
} from '@msi/testkit';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeys } from './credentials.js';
import { emitEvents } from './emit.test-helper.js';
import { SCHEMA } from './schema.js';
import { type RunningTestVerifier, startTestVerifier } from './verifier.test-helper.js';

const prefix = uniquePrefix();
const KEYS = [
  { key: 'acme-emitter', tenant: 'acme', principal: 'acme-etl', roles: ['emitter'] as const },
  { key: 'acme-auditor', tenant: 'acme', principal: 'acme-audit', roles: ['auditor'] as const },
];
let pipeline: Pipeline;
let database: FreshDatabase;
let workDir: string;
let pgDir: string;
let pgPort: number;
let postgres: EmbeddedPostgresServer | undefined;
let nc: NatsConnection;
let verifier: RunningTestVerifier;
let client: verifierV1.VerifierServiceClient;

/** The verifier's own cluster, kept in `pgDir` across restarts, in a keeper process of its own. */
const startVerifierPostgres = () => startEmbeddedPostgres({ dataDir: pgDir, port: pgPort, isolated: true });

beforeAll(async () => {
  const { natsUrl, databaseUrl } = testServerUrls();
  database = await createFreshDatabase(databaseUrl, 'verifier_outage');
  workDir = await mkdtemp(join(tmpdir(), 'msi-verifier-outage-'));
  pgDir = await mkdtemp(join(tmpdir(), 'msi-pg-outage-')); // its own: the server runs as another user
  pgPort = await freePort();
  postgres = await startVerifierPostgres();
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
  nc = await connectNats({ servers: natsUrl, name: 'verifier-outage-test' });
  verifier = await runVerifier(postgres.url);
  client = new verifierV1.VerifierServiceClient(`127.0.0.1:${verifier.port}`, credentials.createInsecure());
}, 240_000);

function runVerifier(databaseUrl: string): Promise<RunningTestVerifier> {
  return startTestVerifier({
    nc,
    databaseUrl,
    prefix,
    calendarKey: pipeline.verifierKey,
    keys: ApiKeys.fromJson(JSON.stringify({ credentials: KEYS })),
    hasher: nodeHasher(),
    ed25519: nodeEd25519(),
    host: '127.0.0.1',
    port: 0,
    log: createLogger({ service: 'verifier', level: 'error', write: () => {} }),
  });
}

afterAll(async () => {
  client?.close();
  await verifier?.stop();
  await pipeline?.stop();
  await nc?.close();
  await postgres?.stop();
  await database?.drop();
  await deleteNatsNamespace(testServerUrls().natsUrl, prefix);
  for (const dir of [workDir, pgDir]) if (dir !== undefined) await rm(dir, { recursive: true, force: true });
}, 60_000);

interface Answer {
  readonly code: status;
  readonly details: string;
  readonly pushbackMs: string | undefined;
}

function getReceipt(eventId: Buffer, wait: boolean, timeoutMs = 10_000): Promise<Answer> {
  const metadata = new Metadata();
  metadata.set('authorization', 'Bearer acme-auditor');
  return new Promise((resolve) => {
    client.getReceipt(
      { eventId, wait },
      metadata,
      { deadline: Date.now() + timeoutMs },
      (error: ServiceError | null) =>
        resolve({
          code: error?.code ?? status.OK,
          details: error?.details ?? '',
          pushbackMs: error?.metadata?.get('grpc-retry-pushback-ms')[0]?.toString(),
        }),
    );
  });
}

async function submit(): Promise<Buffer> {
  const event = eventV1.DataEvent.fromPartial({
    eventId: Buffer.from(mintUuidV7(Date.now(), globalThis.crypto.getRandomValues(new Uint8Array(16)))),
    kind: eventV1.EventKind.EVENT_KIND_STORE,
    data: Buffer.from(
      encodeImprint(imprintOf('sha256', globalThis.crypto.getRandomValues(new Uint8Array(8)))),
    ),
    actor: 'alice',
    occurredAtUs: BigInt(Date.now()) * 1000n,
  });
  await emitEvents(pipeline.ingestAddress, 'acme-emitter', [event]);
  return event.eventId;
}

describe('the verifier across a restart of its Postgres', () => {
  it('stays up, answers UNAVAILABLE with a retry hint for what it must read while it is down, and serves again after', async () => {
    const before = await submit();
    expect((await getReceipt(before, true, 20_000)).code).toBe(status.OK);

    await postgres?.stop(); // a fast shutdown: every connection gets 57P01
    postgres = undefined;
    const during = await submit(); // the pipeline goes on; the verifier cannot project it yet
    // A receipt served before is proof material that can no longer change: the verifier keeps it in
    // memory (the receipt cache) and serves it without its database.
    expect((await getReceipt(before, false)).code).toBe(status.OK);
    const answer = await getReceipt(during, false);
    expect(answer.code).toBe(status.UNAVAILABLE);
    expect(answer.details).toMatch(/database is unavailable; retry in 1 s$/);
    expect(answer.pushbackMs).toBe('1000');
    await new Promise((resolve) => setTimeout(resolve, 1500)); // the projector retries meanwhile

    postgres = await startVerifierPostgres();
    expect((await getReceipt(before, false)).code).toBe(status.OK);
    expect((await getReceipt(during, true, 30_000)).code).toBe(status.OK);
    // Streams that moved on while the projection could not write are applied in order afterwards:
    // no round is judged against seals not applied yet (that would be a false integrity failure).
    const { rows } = await verifier.pool.query(`SELECT detail FROM ${SCHEMA}.integrity_failures`);
    expect(rows).toEqual([]);
  }, 120_000);

  it('starts while its Postgres is down, waiting for it instead of exiting', async () => {
    client.close();
    await verifier.stop();
    const url = postgres?.url ?? '';
    await postgres?.stop();
    postgres = undefined;
    const starting = runVerifier(url);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    postgres = await startVerifierPostgres();
    verifier = await starting;
    client = new verifierV1.VerifierServiceClient(`127.0.0.1:${verifier.port}`, credentials.createInsecure());
    expect((await getReceipt(await submit(), true, 30_000)).code).toBe(status.OK);
  }, 120_000);
});
