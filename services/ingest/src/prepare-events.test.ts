import { decodeEvent, eventLeafHash, uuidV7Time } from '@msi/core';
import { nodeHasher } from '@msi/crypto-node';
import { createWasmHasherSync } from '@msi/hash-wasm';
import { describe, expect, it } from 'vitest';
import { claimKey } from './claim-index.js';
import { freshEventId, sampleEvent } from './ingest.test-helper.js';
import { IngestError } from './ingest-error.js';
import { hashStamped, prepareEvents, type StampContext, stampEvents } from './prepare-events.js';
import { shardOf } from './shard-of.js';

const hasher = nodeHasher();
const wasm = createWasmHasherSync();
const nowUs = Date.now() * 1000;
let counter = 0;
const context: StampContext = {
  tenant: 'acme',
  principal: 'etl-service',
  receivedAtUs: nowUs,
  randomNonces: (count) => new Uint8Array(16 * count).map(() => ++counter % 256),
  hasher,
  // The batch kernel main.ts uses; the test compares its shards with shardOf's (node:crypto).
  sha256Many: (messages) => wasm.sha256Many(messages),
  shards: 8,
  maxSkewMs: 1000,
  maxAgeMs: 60_000,
  maxBatch: 5,
  expectedRound: 17,
};
const path = (i: number) => `events[${i}]`;

function failure(run: () => unknown): IngestError {
  try {
    run();
  } catch (error: unknown) {
    if (error instanceof IngestError) return error;
    throw error;
  }
  throw new Error('expected an IngestError');
}

describe('prepareEvents', () => {
  it('stamps, encodes, hashes and shards each event', () => {
    const events = [sampleEvent(), sampleEvent()];
    const { events: prepared, slots } = prepareEvents(events, 'events', path, context);
    expect(slots).toEqual([0, 1]);
    for (const [i, event] of prepared.entries()) {
      const decoded = decodeEvent(event.canonical);
      expect(decoded).toMatchObject({ tenant: 'acme', submitter: 'etl-service', receivedAt: nowUs });
      expect(event.key).toBe(claimKey('acme', events[i]?.eventId ?? new Uint8Array(0)));
      expect(event.idTimeMs).toBe(uuidV7Time(event.eventId));
      expect(event.leafHash).toEqual(eventLeafHash(hasher, event.canonical));
      expect(event.shard).toBe(shardOf('acme', events[i]?.data ?? new Uint8Array(), 8));
      expect(event.expectedRound).toBe(17);
    }
    expect(Buffer.from(decodeEvent(prepared[0]?.canonical ?? new Uint8Array()).nonce)).not.toEqual(
      Buffer.from(decodeEvent(prepared[1]?.canonical ?? new Uint8Array()).nonce),
    );
  });

  it('hashes and shards several stamped requests together as prepareEvents would one by one', () => {
    const first = [sampleEvent(), sampleEvent()];
    const second = [sampleEvent(), sampleEvent(), sampleEvent()];
    const stamped = [first, second].map((events) => stampEvents(events, 'events', path, context));
    for (const request of stamped) for (const event of request.events) expect(event.leafHash).toHaveLength(0);
    const prepared = hashStamped(stamped, context);
    expect(prepared.map((request) => request.slots)).toEqual([
      [0, 1],
      [0, 1, 2],
    ]);
    for (const [r, events] of [first, second].entries()) {
      for (const [i, event] of (prepared[r]?.events ?? []).entries()) {
        expect(event.leafHash).toEqual(eventLeafHash(hasher, event.canonical));
        expect(event.shard).toBe(shardOf('acme', events[i]?.data ?? new Uint8Array(), 8));
      }
    }
  });

  it('makes a repeated id one event with shared slots, and refuses a repeat with other content', () => {
    const x = sampleEvent();
    const y = sampleEvent();
    const { events, slots } = prepareEvents([x, y, x, x], 'events', path, context);
    expect(events).toHaveLength(2);
    expect(slots).toEqual([0, 1, 0, 0]);
    const error = failure(() => prepareEvents([x, y, { ...x, actor: 'mallory' }], 'events', path, context));
    expect([error.code, error.field]).toEqual(['INVALID_ARGUMENT', 'events[2].event_id']);
  });

  it('bounds occurred_at by the skew and the age', () => {
    const future = sampleEvent({ occurredAtUs: BigInt(nowUs + 2_000_000) });
    const old = sampleEvent({ occurredAtUs: BigInt(nowUs - 61_000_000) });
    const edge = sampleEvent({ occurredAtUs: BigInt(nowUs + 1_000_000) });
    expect(failure(() => prepareEvents([edge, future], 'events', path, context)).field).toBe(
      'events[1].occurred_at_us',
    );
    expect(failure(() => prepareEvents([old], 'events', path, context)).field).toBe(
      'events[0].occurred_at_us',
    );
    expect(prepareEvents([edge], 'events', path, context).events).toHaveLength(1);
  });

  it('refuses empty and oversized requests, and maps wire errors with their field', () => {
    expect(failure(() => prepareEvents([], 'events', path, context))).toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'events',
    });
    const six = Array.from({ length: 6 }, () => sampleEvent());
    expect(failure(() => prepareEvents(six, 'events', path, context))).toMatchObject({
      code: 'RESOURCE_EXHAUSTED',
      field: 'events',
    });
    const denied = failure(() => prepareEvents([sampleEvent({ tenant: 'globex' })], 'events', path, context));
    expect(denied).toMatchObject({ code: 'PERMISSION_DENIED', field: 'events[0].tenant' });
    const bad = failure(() =>
      prepareEvents(
        [sampleEvent({ parents: [freshEventId(), Buffer.alloc(16)] })],
        'x',
        () => 'requests[4].events[0]',
        context,
      ),
    );
    expect(bad).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'requests[4].events[0].parents[1]' });
  });
});
