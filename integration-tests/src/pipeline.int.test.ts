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
import { eventV1 } from '@msi/proto';
import { eventually, useWorld } from '@msi/testkit';
import { jetstream } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { receiptFromStreams } from './anchoring-oracle.js';
import { ingestClient } from './ingest-client.js';

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

describe('the anchoring pipeline: ingest → NATS → aggregators → calendar (real processes)', () => {
  it('anchors submitted events, and the core assembles receipts that verify offline', async () => {
    const { pipeline, prefix } = world;
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
    const js = jetstream(world.nc);
    for (const i of [0, 17, 39]) {
      const event = events[i];
      const ack = durable[i];
      if (event === undefined || ack === undefined) throw new Error('missing event');
      const receipt: Receipt = await eventually(
        `anchoring of event ${i}`,
        () => receiptFromStreams({ js, prefix, hasher: crypto.hasher }, ack.shard, event.eventId),
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
