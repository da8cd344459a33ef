import { createClient, type EmittedIndividual, Events, hashBytes } from '@msi/client';
import { parseVerifierKey, type Receipt, receiptToJson, verifyReceipt } from '@msi/core';
import { nodeEd25519, nodeHasher } from '@msi/crypto-node';
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
});
