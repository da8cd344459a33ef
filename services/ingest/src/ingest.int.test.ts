import { status } from '@grpc/grpc-js';
import { bytesEqual, decodeEvent, EMPTY_ROUND_ROOT, encodeRound, eventLeafHash } from '@msi/core';
import { nodeHasher } from '@msi/crypto-node';
import { streamV1 } from '@msi/proto';
import { eventually, useWorld } from '@msi/testkit';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  callError,
  clientFor,
  durableOf,
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
import { shardOf } from './shard-of.js';

const world = useWorld({ label: 'ingest' });
const { natsUrl, prefix } = world;
let ingest: RunningIngest;

beforeAll(async () => {
  ingest = await startTestIngest(testEnv(natsUrl, prefix, writeCredentials()));
});

afterAll(async () => {
  await ingest?.close(1000);
});

describe('ingest: a valid event', () => {
  it('is acked durable with the leaf hash of the canonical bytes published in its shard batch', async () => {
    const client = clientFor(ingest.port, KEYS.acme);
    const event = sampleEvent();
    const before = Date.now() * 1000;
    const { ack } = await submit(client, event);
    const durable = durableOf(ack);
    expect(ack?.eventId).toEqual(event.eventId);
    expect(durable.duplicate).toBe(false);
    expect(durable.shard).toBe(shardOf('acme', event.data, 4));
    expect(Number(durable.receivedAtUs)).toBeGreaterThanOrEqual(before - 1000);

    const { batches } = await snapshot(natsUrl, prefix);
    const carrying = batches.filter((b) =>
      b.batch.events.some((bytes) => bytesEqual(decodeEvent(bytes).eventId, event.eventId)),
    );
    expect(carrying).toHaveLength(1);
    const [found] = carrying;
    if (found === undefined) throw new Error('unreachable');
    expect(found.subject).toBe(`${prefix}.events.${durable.shard}`);
    expect(found.batch.version).toBe(1);
    expect(found.batch.shard).toBe(durable.shard);
    expect(found.msgId).toBe(found.batch.batchId);
    expect(found.batch.batchId.startsWith(`${ingest.instanceId}-`)).toBe(true);
    const canonical = found.batch.events.find((bytes) =>
      Buffer.from(decodeEvent(bytes).eventId).equals(event.eventId),
    );
    if (canonical === undefined) throw new Error('unreachable');
    expect(Buffer.from(eventLeafHash(nodeHasher(), canonical))).toEqual(durable.leafHash);
    const decoded = decodeEvent(canonical);
    expect(decoded).toMatchObject({
      tenant: 'acme',
      submitter: 'etl-service',
      actor: 'alice',
      kind: 'STORE',
    });
    expect(decoded.receivedAt).toBe(Number(durable.receivedAtUs));
    expect(decoded.nonce).toHaveLength(16);
    client.close();
  });

  it('answers a batch with one ack per event in order, spread over the shards', async () => {
    const client = clientFor(ingest.port, KEYS.globex);
    const events = Array.from({ length: 200 }, () => sampleEvent());
    const { acks } = await submitBatch(client, events);
    expect(acks.map((ack) => ack.eventId)).toEqual(events.map((event) => event.eventId));
    const shards = new Set(acks.map((ack) => durableOf(ack).shard));
    expect(shards.size).toBe(4);
    const { events: stored } = await snapshot(natsUrl, prefix);
    const leaves = new Set(
      stored.map((bytes) => Buffer.from(eventLeafHash(nodeHasher(), bytes)).toString('hex')),
    );
    for (const ack of acks) expect(leaves.has(durableOf(ack).leafHash.toString('hex'))).toBe(true);
    client.close();
  });
});

describe('ingest: the expected round', () => {
  it('is 0 before any round, then k + 1 or k + 2 after the calendar anchored round k', async () => {
    const client = clientFor(ingest.port, KEYS.acme);
    expect(durableOf((await submit(client, sampleEvent())).ack).expectedRound).toBe(0n);
    const closedAt = Date.now() * 1000;
    const round = encodeRound({
      round: 41,
      closedAt,
      intervalMs: 1000,
      sealsStart: 0,
      sealsEnd: 0,
      sealCount: 0,
      root: EMPTY_ROUND_ROOT,
    });
    const nc = await connect({ servers: natsUrl });
    await jetstream(nc).publish(
      `${prefix}.rounds`,
      streamV1.RoundAnchored.encode({
        version: 1,
        round: Buffer.from(round),
        checkpoint: '',
        seals: [],
      }).finish(),
    );
    await nc.close();
    let hint = 0n;
    await eventually('an ack with the expected round', async () => {
      hint = durableOf((await submit(client, sampleEvent())).ack).expectedRound;
      return hint !== 0n;
    });
    expect([42n, 43n]).toContain(hint);
    client.close();
  });
});

describe('ingest: security events', () => {
  it('publishes UNAUTHENTICATED and PERMISSION_DENIED attempts on <prefix>.security', async () => {
    const bad = clientFor(ingest.port, 'not-a-key');
    const none = clientFor(ingest.port);
    const auditor = clientFor(ingest.port, KEYS.acmeAuditor);
    const acme = clientFor(ingest.port, KEYS.acme);
    expect((await callError(submit(bad, sampleEvent()))).code).toBe(status.UNAUTHENTICATED);
    expect((await callError(submit(none, sampleEvent()))).code).toBe(status.UNAUTHENTICATED);
    expect((await callError(submit(auditor, sampleEvent()))).code).toBe(status.PERMISSION_DENIED);
    expect((await callError(submit(acme, sampleEvent({ tenant: 'globex' })))).code).toBe(
      status.PERMISSION_DENIED,
    );
    await eventually(
      'four security events',
      async () => (await snapshot(natsUrl, prefix)).security.length >= 4,
    );
    const { security } = await snapshot(natsUrl, prefix);
    const seen = security.map((e) => [e.kind, e.reason, e.principal, e.tenant, e.method]);
    const submitMethod = '/msi.ingest.v1.IngestService/Submit';
    const { UNAUTHENTICATED, PERMISSION_DENIED } = {
      UNAUTHENTICATED: streamV1.SecurityEventKind.SECURITY_EVENT_KIND_UNAUTHENTICATED,
      PERMISSION_DENIED: streamV1.SecurityEventKind.SECURITY_EVENT_KIND_PERMISSION_DENIED,
    };
    expect(seen).toEqual(
      expect.arrayContaining([
        [UNAUTHENTICATED, 'unknown_api_key', '', '', submitMethod],
        [UNAUTHENTICATED, 'missing_credentials', '', '', submitMethod],
        [PERMISSION_DENIED, 'missing_role', 'auditor-1', 'acme', submitMethod],
        [PERMISSION_DENIED, 'tenant_mismatch', 'etl-service', 'acme', submitMethod],
      ]),
    );
    for (const event of security) {
      expect(event.version).toBe(1);
      expect(event.service).toBe('ingest');
      expect(event.peer).toMatch(/127\.0\.0\.1/);
    }
    for (const client of [bad, none, auditor, acme]) client.close();
  });
});
