import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  encodeImprint,
  formatUuid,
  imprintOf,
  mintUuidV7,
  parseVerifierKey,
  type Receipt,
  receiptToJson,
  verifyReceipt,
} from '@msi/core';
import { nodeEd25519, nodeHasher } from '@msi/crypto-node';
import { connectNats } from '@msi/nats';
import { eventV1 } from '@msi/proto';
import { type Pipeline, startPipeline } from '@msi/stack';
import {
  createFreshDatabase,
  deleteNatsNamespace,
  type FreshDatabase,
  freePort,
  repositoryRoot,
  testServerUrls,
  uniquePrefix,
} from '@msi/testkit';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { receiptFromStreams } from './anchoring-oracle.js';
import { ingestClient } from './ingest-client.js';

const API_KEY = 'test-key-acme-emitter';
const prefix = uniquePrefix();
const crypto = { hasher: nodeHasher(), ed25519: nodeEd25519() };
let pipeline: Pipeline;
let database: FreshDatabase;
let workDir: string;
let nc: NatsConnection;
const logs: string[] = [];

beforeAll(async () => {
  const { natsUrl, databaseUrl } = testServerUrls();
  database = await createFreshDatabase(databaseUrl, 'pipeline');
  workDir = await mkdtemp(join(tmpdir(), 'msi-pipeline-'));
  pipeline = await startPipeline({
    root: repositoryRoot(),
    workDir,
    natsUrl,
    databaseUrl: database.url,
    prefix,
    shards: 4,
    roundIntervalMs: 500,
    aggregators: 2,
    ingestPort: await freePort(),
    apiKeys: [{ key: API_KEY, tenant: 'acme', principal: 'etl-gateway', roles: ['emitter'] }],
    onLine: ({ name, line }) => logs.push(`${name} | ${line}`),
  });
  await pipeline.waitUntilServing(30_000);
  nc = await connectNats({ servers: natsUrl, name: 'pipeline-int-test' });
}, 60_000);

afterAll(async () => {
  await pipeline?.stop();
  await nc?.close();
  await database?.drop();
  await deleteNatsNamespace(testServerUrls().natsUrl, prefix);
  if (workDir !== undefined) await rm(workDir, { recursive: true, force: true });
});

function storeEvent(i: number): eventV1.DataEvent {
  return eventV1.DataEvent.fromPartial({
    eventId: Buffer.from(mintUuidV7(Date.now(), globalThis.crypto.getRandomValues(new Uint8Array(16)))),
    kind: eventV1.EventKind.EVENT_KIND_STORE,
    data: Buffer.from(encodeImprint(imprintOf('sha256', new TextEncoder().encode(`object-${i}`)))),
    actor: 'alice',
    destination: { system: 's3', region: 'eu-west-1', host: 'bucket-a' },
    occurredAtUs: BigInt(Date.now() * 1000),
    attributes: [{ key: 'classification', value: i % 2 === 0 ? 'pii' : 'internal' }],
  });
}

async function eventually<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${what} did not happen within ${timeoutMs} ms\n${logs.slice(-40).join('\n')}`);
}

describe('the anchoring pipeline: ingest → NATS → aggregators → calendar (real processes)', () => {
  it('anchors submitted events, and the core assembles receipts that verify offline', async () => {
    const ingest = ingestClient(pipeline.ingestAddress, API_KEY);
    const events = Array.from({ length: 40 }, (_, i) => storeEvent(i));
    const response = await ingest.submitBatch(events);
    ingest.close();
    expect(response.acks).toHaveLength(events.length);
    const durable = response.acks.map((ack) => {
      if (ack.outcome?.$case !== 'durable') throw new Error(`event ${formatUuid(ack.eventId)} not durable`);
      return ack.outcome.value;
    });

    const trust = { logKeys: [parseVerifierKey(pipeline.verifierKey)] };
    const js = jetstream(nc);
    for (const i of [0, 17, 39]) {
      const event = events[i];
      const ack = durable[i];
      if (event === undefined || ack === undefined) throw new Error('missing event');
      const receipt: Receipt = await eventually(`anchoring of event ${i}`, 30_000, () =>
        receiptFromStreams({ js, prefix, hasher: crypto.hasher }, ack.shard, event.eventId),
      );
      const proven = verifyReceipt(receiptToJson(receipt), trust, crypto);
      expect(proven.eventLeafHash).toEqual(new Uint8Array(ack.leafHash));
      expect(proven.event).toMatchObject({
        tenant: 'acme',
        submitter: 'etl-gateway',
        actor: 'alice',
        kind: 'STORE',
      });
      expect(proven.event.receivedAt).toBeLessThanOrEqual(proven.round.closedAt);
      expect(proven.seal.shard).toBe(ack.shard);
    }
  });
});
