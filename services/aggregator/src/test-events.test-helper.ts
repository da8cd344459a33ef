// TEST-ONLY: canonical events and EventBatch messages for the aggregator's tests.
import { randomBytes } from 'node:crypto';
import { type DataEvent, encodeEvent, imprintOf, mintUuidV7 } from '@msi/core';
import { streamV1 } from '@msi/proto';

/** A valid STORE event with a random UUIDv7 and nonce; `receivedAt` in µs. */
export function storeEvent(receivedAt: number, label = 'data'): DataEvent {
  return {
    tenant: 'acme',
    eventId: mintUuidV7(Math.floor(receivedAt / 1000), randomBytes(16)),
    kind: 'STORE',
    data: imprintOf('sha256', new TextEncoder().encode(label)),
    inputs: [],
    outputs: [],
    toTenant: '',
    actor: 'alice',
    submitter: 'svc-test',
    source: { system: 'test', region: 'local', host: 'h1' },
    destination: { system: '', region: '', host: '' },
    occurredAt: receivedAt - 1000,
    receivedAt,
    parents: [],
    attributes: [{ key: 'n', value: label }],
    nonce: randomBytes(16),
  };
}

/** `count` canonical events received around now (distinct received_at values). */
export function canonicalEvents(count: number, label = 'e'): Uint8Array[] {
  const base = Date.now() * 1000;
  return Array.from({ length: count }, (_, i) => encodeEvent(storeEvent(base + i, `${label}-${i}`)));
}

/** An EventBatch message as ingest publishes it. */
export function eventBatch(shard: number, events: readonly Uint8Array[], batchId = 'test-1'): Uint8Array {
  return streamV1.EventBatch.encode({
    version: 1,
    batchId,
    shard,
    events: events.map((e) => Buffer.from(e)),
  }).finish();
}
