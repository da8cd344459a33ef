import { decodeEvent } from '@msi/core';
import { subjectsFor } from '@msi/nats';
import { type eventV1, ingestV1, streamV1 } from '@msi/proto';
import { useWorld } from '@msi/testkit';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

describe('the same id with other content', () => {
  it('is refused with ID_CONFLICT, here and at the other replica; the original stays the only leaf', async () => {
    const event = sampleEvent();
    const { acks } = await submitBatch(a, [event]);
    durableOf(acks[0]);
    const changed = { ...event, actor: 'mallory' };
    for (const client of [a, b]) {
      const [ack] = (await submitBatch(client, [changed])).acks;
      expect(ack?.outcome?.$case === 'failed' && ack.outcome.value.code).toBe(
        ingestV1.FailureCode.FAILURE_CODE_ID_CONFLICT,
      );
    }
    expect(await copiesOf([event])).toEqual([1]);
  });
});

describe('a claim whose owner died', () => {
  /** Claims `event` in the claims stream as a crashed ingest would have, never publishing its batch. */
  async function claimAsCrashedOwner(event: eventV1.DataEvent, claimUntilMs: number) {
    const claims: streamV1.ClaimBatch = {
      version: 1,
      batchId: `ingest-crashed-${event.eventId.toString('hex')}`,
      shard: shardOf('acme', event.data, 4),
      claimUntilMs: BigInt(claimUntilMs),
      claims: [{ tenant: 'acme', eventId: event.eventId, expectedRound: 0n, supersedes: 0n }],
    };
    const nc = await connect({ servers: natsUrl });
    await jetstream(nc).publish(subjectsFor(prefix).claims, streamV1.ClaimBatch.encode(claims).finish());
    await nc.close();
  }

  it('is void once its claim is over: the resubmission is made durable once, then answered as duplicate', async () => {
    const event = sampleEvent();
    await claimAsCrashedOwner(event, Date.now() - 20_000);
    const { acks } = await submitBatch(a, [event]);
    expect(durableOf(acks[0]).duplicate).toBe(false);
    // Another instance, and the first again: the replacing claim won, its event is in the stream.
    for (const client of [b, a]) {
      const again = (await submitBatch(client, [event])).acks;
      expect(leafHashes(again)).toEqual(leafHashes(acks));
      expect(durableOf(again[0]).duplicate).toBe(true);
    }
    expect(await copiesOf([event])).toEqual([1]);
    const { claimBatches } = await snapshot(natsUrl, prefix);
    const naming = claimBatches.filter(({ batch }) =>
      batch.claims.some((c) => c.eventId.equals(event.eventId)),
    );
    expect(naming).toHaveLength(2);
    expect(naming[1]?.batch.claims[0]?.supersedes).toBe(BigInt(naming[0]?.seq ?? 0) * 131072n);
  });

  it('makes a resubmission wait while the claim runs, then answer IN_PROGRESS at its deadline', async () => {
    const event = sampleEvent();
    await claimAsCrashedOwner(event, Date.now() + 60_000);
    const started = Date.now();
    const { acks } = await submitBatch(a, [event], 1500);
    expect(acks[0]?.outcome?.$case === 'failed' && acks[0].outcome.value.code).toBe(
      ingestV1.FailureCode.FAILURE_CODE_IN_PROGRESS,
    );
    expect(Date.now() - started).toBeGreaterThan(500);
    expect(await copiesOf([event])).toEqual([0]);
  });
});

describe('the claims stream', () => {
  it('holds one ClaimBatch per EventBatch, naming the batch that carries the events', async () => {
    const events = Array.from({ length: 20 }, () => sampleEvent());
    await submitBatch(a, events);
    const { batches, claimBatches } = await snapshot(natsUrl, prefix);
    const ids = new Set(events.map((event) => event.eventId.toString('hex')));
    const mine = claimBatches.filter(({ batch }) =>
      batch.claims.some((c) => ids.has(c.eventId.toString('hex'))),
    );
    expect(mine.reduce((sum, { batch }) => sum + batch.claims.length, 0)).toBe(events.length);
    for (const { batch } of mine) {
      const carrier = batches.find((stored) => stored.msgId === batch.batchId);
      expect(carrier?.batch.events.length).toBe(batch.claims.length);
      expect(carrier?.subject.endsWith(`.events.${batch.shard}`)).toBe(true);
    }
  });
});
