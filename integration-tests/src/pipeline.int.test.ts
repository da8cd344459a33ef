import { randomBytes } from 'node:crypto';
import { credentials, Metadata } from '@grpc/grpc-js';
import { createClient, type EmittedIndividual, Events, hashBytes } from '@msi/client';
import {
  decodeEvent,
  encodeImprint,
  imprintOf,
  mintUuidV7,
  parseVerifierKey,
  type Receipt,
  receiptToJson,
  verifyReceipt,
} from '@msi/core';
import { nodeEd25519, nodeHasher } from '@msi/crypto-node';
import { readSubject, streamNamesFor, subjectsFor } from '@msi/nats';
import { eventV1, ingestV1, streamV1 } from '@msi/proto';
import { eventually, useWorld } from '@msi/testkit';
import { jetstream } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { receiptFromStreams } from './anchoring-oracle.js';

const API_KEY = 'test-key-acme-emitter';
const crypto = { hasher: nodeHasher(), ed25519: nodeEd25519() };
const world = useWorld({
  label: 'pipeline',
  nats: true,
  pipeline: {
    shards: 4,
    aggregators: 2,
    ingests: 2,
    apiKeys: [{ key: API_KEY, tenant: 'acme', principal: 'etl-gateway', roles: ['emitter'] }],
  },
});

function storeEvent(i: number) {
  return Events.store({
    data: hashBytes(`object-${i}`),
    actor: 'alice',
    destination: { system: 's3', region: 'eu-west-1', host: 'bucket-a' },
    attributes: { classification: i % 2 === 0 ? 'pii' : 'internal' },
  });
}

describe('the anchoring pipeline: ingest → NATS → aggregators → calendar (real processes)', () => {
  it('anchors submitted events, and the core assembles receipts that verify offline', async () => {
    const { pipeline, prefix } = world;
    const client = createClient({ ingest: pipeline.ingestAddress, apiKey: API_KEY, insecure: true });
    const durable = (await Promise.all(Array.from({ length: 40 }, (_, i) => client.emit(storeEvent(i))))).map(
      (ack) => ack as EmittedIndividual,
    );
    await client.close();
    expect(durable.map((ack) => ack.mode)).toEqual(durable.map(() => 'individual'));

    const trust = { logKeys: [parseVerifierKey(pipeline.verifierKey)] };
    const js = jetstream(world.nc);
    for (const i of [0, 17, 39]) {
      const ack = durable[i];
      if (ack === undefined) throw new Error('missing event');
      const receipt: Receipt = await eventually(
        `anchoring of event ${i}`,
        () => receiptFromStreams({ js, prefix, hasher: crypto.hasher }, ack.shard, ack.eventId),
        { timeoutMs: 30_000, detail: () => world.logTail() },
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

  it('runs two ingest processes: the same events sent to both are published once, both answered alike', async () => {
    const { pipeline, prefix } = world;
    expect(pipeline.ingestAddresses).toHaveLength(2);
    const now = Date.now();
    const events = Array.from({ length: 30 }, (_, i) =>
      eventV1.DataEvent.fromPartial({
        eventId: Buffer.from(mintUuidV7(now, randomBytes(16))),
        kind: eventV1.EventKind.EVENT_KIND_STORE,
        data: Buffer.from(encodeImprint(imprintOf('sha256', Buffer.from(`replicas-${now}-${i}`)))),
        actor: 'alice',
        source: { system: 's3', region: 'eu-west-1', host: 'bucket-a' },
        occurredAtUs: BigInt(now) * 1000n,
      }),
    );
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${API_KEY}`);
    const submitTo = (address: string) => {
      const client = new ingestV1.IngestServiceClient(address, credentials.createInsecure());
      return new Promise<ingestV1.SubmitBatchResponse>((resolve, reject) =>
        client.submitBatch({ events }, metadata, { deadline: Date.now() + 30_000 }, (error, response) => {
          client.close();
          if (error === null) resolve(response);
          else reject(error);
        }),
      );
    };
    const [first, second] = await Promise.all(pipeline.ingestAddresses.map(submitTo));
    const durable = (acks: readonly ingestV1.EventAck[] | undefined) =>
      (acks ?? []).map((ack) => {
        if (ack.outcome?.$case !== 'durable') throw new Error(`not durable: ${JSON.stringify(ack.outcome)}`);
        return ack.outcome.value;
      });
    const a = durable(first?.acks);
    const b = durable(second?.acks);
    expect(a.map((ack) => Buffer.from(ack.leafHash).toString('hex'))).toEqual(
      b.map((ack) => Buffer.from(ack.leafHash).toString('hex')),
    );
    // One of the two submissions of each id won its claim, the other was answered from it.
    expect(a.map((ack, i) => [ack.duplicate, b[i]?.duplicate].filter(Boolean).length)).toEqual(
      a.map(() => 1),
    );
    const wanted = new Set(events.map((event) => event.eventId.toString('hex')));
    const copies = new Map<string, number>();
    await eventually(
      'both submissions settled in the events stream',
      async () => {
        copies.clear();
        const js = jetstream(world.nc);
        for (let shard = 0; shard < 4; shard++) {
          const subject = subjectsFor(prefix).events(shard);
          for (const message of await readSubject(js, streamNamesFor(prefix).events, subject)) {
            for (const bytes of streamV1.EventBatch.decode(message.data).events) {
              const id = Buffer.from(decodeEvent(bytes).eventId).toString('hex');
              if (wanted.has(id)) copies.set(id, (copies.get(id) ?? 0) + 1);
            }
          }
        }
        return copies.size === wanted.size ? copies : undefined;
      },
      { timeoutMs: 30_000, detail: () => world.logTail() },
    );
    expect([...copies.values()].every((count) => count === 1)).toBe(true);
  });
});
