import { decodeEvent, encodeEvent, eventLeafHash } from '@msi/core';
import { nodeHasher } from '@msi/crypto-node';
import { bucketNamesFor } from '@msi/nats';
import type { eventV1, ingestV1 } from '@msi/proto';
import { useWorld } from '@msi/testkit';
import { eventFromClient } from '@msi/wire';
import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeClaimRecord, encodeClaimRecord } from './claim-record.js';
import {
  clientFor,
  durableOf,
  KEYS,
  sampleEvent,
  snapshot,
  startTestIngest,
  submitBatch,
  testEnv,
  writeCredentials,
} from './ingest.test-helper.js';
import type { RunningIngest } from './ingest-server.js';
import { shardOf } from './shard-of.js';

const world = useWorld({ label: 'ingest_duplicates' });
const { natsUrl, prefix } = world;
let first: RunningIngest;
let second: RunningIngest;
let a: ingestV1.IngestServiceClient;
let b: ingestV1.IngestServiceClient;

beforeAll(async () => {
  const env = testEnv(natsUrl, prefix, writeCredentials());
  first = await startTestIngest(env, 'ingest-first');
  second = await startTestIngest(env, 'ingest-second');
  a = clientFor(first.port, KEYS.acme);
  b = clientFor(second.port, KEYS.acme);
});

afterAll(async () => {
  a?.close();
  b?.close();
  await first?.close(1000);
  await second?.close(1000);
});

/** How many copies of each event id the events stream holds. */
async function copiesOf(events: readonly eventV1.DataEvent[]): Promise<number[]> {
  const { events: stored } = await snapshot(natsUrl, prefix);
  const ids = stored.map((bytes) => Buffer.from(decodeEvent(bytes).eventId).toString('hex'));
  return events.map((event) => ids.filter((id) => id === event.eventId.toString('hex')).length);
}

const leafHashes = (acks: readonly ingestV1.EventAck[]) =>
  acks.map((ack) => durableOf(ack).leafHash.toString('hex'));

describe('duplicates anchor once and get the original ack', () => {
  it('within one batch: every occurrence gets the same ack, one copy is published', async () => {
    const [x, y] = [sampleEvent(), sampleEvent()];
    const { acks } = await submitBatch(a, [x, y, x, x]);
    expect(acks.map((ack) => ack.eventId)).toEqual([x.eventId, y.eventId, x.eventId, x.eventId]);
    expect(acks[2]).toEqual(acks[0]);
    expect(acks[3]).toEqual(acks[0]);
    expect(await copiesOf([x, y])).toEqual([1, 1]);
  });

  it('across batches: the resubmission is answered from the original', async () => {
    const events = Array.from({ length: 50 }, () => sampleEvent());
    const original = await submitBatch(a, events);
    const again = await submitBatch(a, events);
    expect(leafHashes(again.acks)).toEqual(leafHashes(original.acks));
    for (const [i, ack] of again.acks.entries()) {
      const durable = durableOf(ack);
      expect(durable.duplicate).toBe(true);
      expect(durable.receivedAtUs).toBe(durableOf(original.acks[i]).receivedAtUs);
      expect(durable.shard).toBe(durableOf(original.acks[i]).shard);
    }
    expect(await copiesOf(events)).toEqual(events.map(() => 1));
  });

  it('across two ingest instances, one after the other and both at once', async () => {
    const events = Array.from({ length: 30 }, () => sampleEvent());
    const original = await submitBatch(a, events);
    const elsewhere = await submitBatch(b, events);
    expect(leafHashes(elsewhere.acks)).toEqual(leafHashes(original.acks));
    expect(elsewhere.acks.every((ack) => durableOf(ack).duplicate)).toBe(true);

    const racing = Array.from({ length: 40 }, () => sampleEvent());
    const [viaA, viaB] = await Promise.all([submitBatch(a, racing), submitBatch(b, racing)]);
    expect(leafHashes(viaA.acks)).toEqual(leafHashes(viaB.acks));
    for (const [i, ack] of viaA.acks.entries()) {
      // Exactly one of the two submissions made each event durable; the other got its ack.
      expect(durableOf(ack).duplicate).not.toBe(durableOf(viaB.acks[i]).duplicate);
    }
    expect(await copiesOf([...events, ...racing])).toEqual([...events, ...racing].map(() => 1));
  });
});

describe('a claim whose owner died', () => {
  /** Claims `event` in KV as a crashed ingest would have, without ever publishing its batch. */
  async function claimAsCrashedOwner(event: eventV1.DataEvent, claimUntilMs: number) {
    const receivedAtUs = (Date.now() - 30_000) * 1000;
    const domain = eventFromClient(
      event,
      {
        tenant: 'acme',
        submitter: 'etl-service',
        receivedAt: receivedAtUs,
        nonce: new Uint8Array(16).fill(5),
      },
      'event',
    );
    const canonical = encodeEvent(domain);
    const record = {
      leafHash: eventLeafHash(nodeHasher(), canonical),
      shard: shardOf('acme', event.data, 4),
      expectedRound: 0,
      batchId: 'ingest-crashed-1',
      receivedAtUs,
      claimUntilMs,
      event: canonical,
    };
    const nc = await connect({ servers: natsUrl });
    const kv = await new Kvm(jetstream(nc)).open(bucketNamesFor(prefix).idempotency);
    await kv.create(`acme.${event.eventId.toString('hex')}`, encodeClaimRecord(record));
    await nc.close();
    return record;
  }

  it('is recovered from the record once its claim is over: the original leaf hash, one copy', async () => {
    const event = sampleEvent();
    const record = await claimAsCrashedOwner(event, Date.now() - 20_000);
    const { acks } = await submitBatch(a, [event]);
    const durable = durableOf(acks[0]);
    expect(durable.leafHash).toEqual(Buffer.from(record.leafHash));
    expect(durable.duplicate).toBe(true);
    expect(Number(durable.receivedAtUs)).toBe(record.receivedAtUs);
    // Another instance, and the first again: found in the stream, not published again.
    expect(leafHashes((await submitBatch(b, [event])).acks)).toEqual(leafHashes(acks));
    expect(leafHashes((await submitBatch(a, [event])).acks)).toEqual(leafHashes(acks));
    expect(await copiesOf([event])).toEqual([1]);
    const { batches } = await snapshot(natsUrl, prefix);
    const carrying = batches.filter((batch) =>
      batch.batch.events.some((bytes) => Buffer.from(bytes).equals(record.event)),
    );
    expect(carrying).toHaveLength(1);
    expect(carrying[0]?.batch.batchId.startsWith('ingest-first-')).toBe(true);
  });

  it('makes a resubmission wait while the claim runs, then answer IN_PROGRESS at its deadline', async () => {
    const event = sampleEvent();
    await claimAsCrashedOwner(event, Date.now() + 60_000);
    const started = Date.now();
    const { acks } = await submitBatch(a, [event], 1500);
    expect(acks[0]?.outcome?.$case).toBe('failed');
    if (acks[0]?.outcome?.$case === 'failed') expect(acks[0].outcome.value.code).toBe(2); // IN_PROGRESS
    expect(Date.now() - started).toBeGreaterThan(500);
    expect(await copiesOf([event])).toEqual([0]);
  });

  it('keeps the record readable as streamV1.IdempotencyRecord with the original ack', async () => {
    const event = sampleEvent();
    const { acks } = await submitBatch(a, [event]);
    const nc = await connect({ servers: natsUrl });
    const kv = await new Kvm(jetstream(nc)).open(bucketNamesFor(prefix).idempotency);
    const entry = await kv.get(`acme.${event.eventId.toString('hex')}`);
    await nc.close();
    if (entry === null) throw new Error('no idempotency record');
    const record = decodeClaimRecord(entry.value);
    const durable = durableOf(acks[0]);
    expect(Buffer.from(record.leafHash)).toEqual(durable.leafHash);
    expect(record.shard).toBe(durable.shard);
    expect(record.receivedAtUs).toBe(Number(durable.receivedAtUs));
    expect(record.batchId.startsWith('ingest-first-')).toBe(true);
    expect(Buffer.from(eventLeafHash(nodeHasher(), record.event))).toEqual(durable.leafHash);
  });
});
