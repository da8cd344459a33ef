import { describe, expect, it } from 'vitest';
import type { LocateQuery } from './batch-locator.js';
import type { ClaimRecord } from './claim-record.js';
import type { StoredClaim } from './idempotency-store.js';
import { type Ack, type ClaimStore, IngestPipeline } from './ingest-pipeline.js';
import type { PreparedEvent } from './prepare-events.js';
import type { SealedBatch } from './shard-batcher.js';

// The pipeline's decisions with its ports in memory: a KV map with revisions, and a "stream" that
// stores batches once per msgID. (Integration tests run the same paths against NATS.)
class MemoryStore implements ClaimStore {
  readonly records = new Map<string, StoredClaim>();
  failClaims = false;
  private revision = 0;
  async claim(key: string, record: ClaimRecord) {
    if (this.failClaims) throw new Error('KV unavailable');
    if (this.records.has(key)) return 'exists' as const;
    this.records.set(key, { record, revision: ++this.revision });
    return 'claimed' as const;
  }
  async read(key: string) {
    return this.records.get(key);
  }
  async replace(key: string, record: ClaimRecord, revision: number) {
    if (this.records.get(key)?.revision !== revision) return undefined;
    const stored = { record, revision: ++this.revision };
    this.records.set(key, stored);
    return stored;
  }
}

function harness(options: { failPublish?: boolean } = {}) {
  let now = 1_800_000_000_000;
  const store = new MemoryStore();
  const stream: (SealedBatch & { at: number })[] = [];
  let counter = 0;
  const pipeline = new IngestPipeline(
    {
      store,
      locator: {
        async contains(query: LocateQuery) {
          return stream.some(
            (batch) =>
              `events.${batch.shard}` === query.subject &&
              batch.batchId === query.batchId &&
              batch.events.some((event) => Buffer.from(event).equals(Buffer.from(query.event))),
          );
        },
      },
      publishBatch: async (batch) => {
        if (options.failPublish) throw new Error('no JetStream ack');
        if (!stream.some((stored) => stored.batchId === batch.batchId)) stream.push({ ...batch, at: now });
      },
      subjectOf: (shard) => `events.${shard}`,
      nextBatchId: () => `ingest-unit-${++counter}`,
      nowMs: () => now,
      sleep: async (ms) => {
        now += ms;
      },
    },
    {
      claimWindowMs: 10_000,
      publishTimeoutMs: 1000,
      claimGraceMs: 1000,
      lingerMs: 0,
      batchMaxEvents: 100,
      batchMaxBytes: 1_000_000,
      sealAtLeast: 1,
    },
  );
  return { pipeline, store, stream, now: () => now, advance: (ms: number) => (now += ms) };
}

function event(n: number, shard = n % 2): PreparedEvent {
  return {
    key: `acme.${n}`,
    eventId: new Uint8Array(16).fill(n),
    canonical: new Uint8Array([0x4d, 0x53, 0x49, 0x45, n]),
    leafHash: new Uint8Array(32).fill(n),
    shard,
    receivedAtUs: 1_799_999_999_000_000 + n,
    expectedRound: 9,
  };
}

const copies = (stream: readonly SealedBatch[], e: PreparedEvent) =>
  stream
    .flatMap((batch) => batch.events)
    .filter((bytes) => Buffer.from(bytes).equals(Buffer.from(e.canonical))).length;

function durable(ack: Ack | undefined) {
  if (ack?.kind !== 'durable') throw new Error(`not durable: ${JSON.stringify(ack)}`);
  return ack;
}

/** Claims `e` as a crashed owner would have: record written, batch `batchId` never published. */
function crashedClaim(store: MemoryStore, e: PreparedEvent, batchId: string, claimUntilMs: number) {
  store.records.set(e.key, {
    record: { ...e, batchId, claimUntilMs, event: e.canonical, expectedRound: e.expectedRound },
    revision: 1000 + (e.eventId[0] ?? 0),
  });
}

describe('IngestPipeline', () => {
  it('claims, batches per shard and acks durable once the batch is stored', async () => {
    const h = harness();
    const events = [event(1), event(2), event(3)];
    const acks = await h.pipeline.submit(events, h.now() + 5000);
    expect(acks.map((ack) => durable(ack).duplicate)).toEqual([false, false, false]);
    expect(acks.map((ack) => durable(ack).shard)).toEqual([1, 0, 1]);
    const byShard = [...h.stream].sort((x, y) => x.shard - y.shard);
    expect(byShard.map((batch) => [batch.shard, batch.events.length])).toEqual([
      [0, 1],
      [1, 2],
    ]);
    const record = h.store.records.get('acme.1')?.record;
    expect(record?.batchId).toBe(byShard[1]?.batchId);
    expect(record?.claimUntilMs).toBe(byShard[1]?.deadlineMs);
  });

  it('answers a resubmission with the original ack, publishing nothing', async () => {
    const h = harness();
    const [original] = await h.pipeline.submit([event(4)], h.now() + 5000);
    const [again] = await h.pipeline.submit(
      [{ ...event(4), leafHash: new Uint8Array(32), receivedAtUs: 1 }],
      h.now() + 5000,
    );
    expect(durable(again)).toEqual({ ...durable(original), duplicate: true });
    expect(copies(h.stream, event(4))).toBe(1);
  });

  it('waits while another claim runs, then answers IN_PROGRESS at the deadline', async () => {
    const h = harness();
    crashedClaim(h.store, event(5), 'ingest-other-1', h.now() + 60_000);
    const start = h.now();
    const [ack] = await h.pipeline.submit([event(5)], h.now() + 2000);
    expect(ack).toMatchObject({ kind: 'failed', code: 'IN_PROGRESS' });
    expect(h.now() - start).toBeGreaterThan(1000);
    expect(copies(h.stream, event(5))).toBe(0);
  });

  it('finds the event once the other claim publishes it', async () => {
    const h = harness();
    crashedClaim(h.store, event(6), 'ingest-other-1', h.now() + 60_000);
    const waiting = h.pipeline.submit([event(6)], h.now() + 5000);
    h.stream.push({
      batchId: 'ingest-other-1',
      shard: 0,
      events: [event(6).canonical],
      deadlineMs: 0,
      at: h.now(),
    });
    expect(durable((await waiting)[0]).duplicate).toBe(true);
  });

  it('recovers a lost event after its claim: re-claimed under a fresh batch id, published once, released', async () => {
    const h = harness();
    crashedClaim(h.store, event(7), 'ingest-dead-1', h.now() - 5000);
    const [ack] = await h.pipeline.submit([event(7)], h.now() + 5000);
    expect(durable(ack)).toMatchObject({ duplicate: true, receivedAtUs: event(7).receivedAtUs, shard: 1 });
    expect(h.stream.map((batch) => batch.batchId)).toEqual(['ingest-unit-2']);
    await Promise.resolve();
    const record = h.store.records.get('acme.7')?.record;
    expect(record?.batchId).toBe('ingest-unit-2');
    expect(record?.claimUntilMs).toBeLessThanOrEqual(h.now());
    const [again] = await h.pipeline.submit([event(7)], h.now() + 5000);
    expect(durable(again).leafHash).toEqual(durable(ack).leafHash);
    expect(copies(h.stream, event(7))).toBe(1);
  });

  it('recovers two lost events of one batch separately: each is stored exactly once', async () => {
    const h = harness();
    const [a, b] = [event(8, 0), event(10, 0)];
    crashedClaim(h.store, a, 'ingest-dead-7', h.now() - 5000);
    crashedClaim(h.store, b, 'ingest-dead-7', h.now() - 5000);
    await h.pipeline.submit([a], h.now() + 5000);
    await h.pipeline.submit([b], h.now() + 5000);
    await Promise.all([h.pipeline.submit([a], h.now() + 5000), h.pipeline.submit([b], h.now() + 5000)]);
    expect([copies(h.stream, a), copies(h.stream, b)]).toEqual([1, 1]);
  });

  it('lets only one of two concurrent recoverers publish', async () => {
    const h = harness();
    crashedClaim(h.store, event(9), 'ingest-dead-1', h.now() - 5000);
    const [first, second] = await Promise.all([
      h.pipeline.submit([event(9)], h.now() + 5000),
      h.pipeline.submit([event(9)], h.now() + 5000),
    ]);
    expect(durable(first[0]).leafHash).toEqual(durable(second[0]).leafHash);
    expect(copies(h.stream, event(9))).toBe(1);
  });

  it('fails UNAVAILABLE when the claim or the publish fails', async () => {
    const h = harness();
    h.store.failClaims = true;
    expect((await h.pipeline.submit([event(11)], h.now() + 5000))[0]).toMatchObject({
      kind: 'failed',
      code: 'UNAVAILABLE',
    });
    expect(h.stream).toHaveLength(0);
    const broken = harness({ failPublish: true });
    expect((await broken.pipeline.submit([event(12)], broken.now() + 5000))[0]).toMatchObject({
      kind: 'failed',
      code: 'UNAVAILABLE',
    });
  });
});
