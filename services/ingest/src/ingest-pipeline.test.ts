import { type DataEvent, encodeEvent, mintUuidV7, uuidV7Time } from '@msi/core';
import { nodeHasher } from '@msi/crypto-node';
import { describe, expect, it } from 'vitest';
import type { LocateQuery } from './batch-locator.js';
import { ClaimIndex, type ClaimPosition, claimIndexOf, claimKey, claimSeqOf } from './claim-index.js';
import type { ClaimBatch, StoredClaim } from './claim-log.js';
import { type Ack, type EventBatchToPublish, IngestPipeline } from './ingest-pipeline.js';
import type { PreparedEvent } from './prepare-events.js';

// The pipeline's decisions with its ports in memory: a claims "stream" applied to a real ClaimIndex,
// and an events "stream" that stores batches once per msgID. (Integration tests run the same paths
// against NATS.)
const START_MS = 1_800_000_000_000;
const WINDOW_MS = 3_600_000;
const SKEW_MS = 60_000;
const hasher = nodeHasher();

class MemoryClaims {
  readonly batches: { batch: ClaimBatch; storedAtMs: number }[] = [];
  failAppends = false;
  constructor(
    readonly index: ClaimIndex,
    readonly nowMs: () => number,
  ) {}
  async append(batch: ClaimBatch) {
    if (this.failAppends) throw new Error('JetStream unavailable');
    this.batches.push({ batch, storedAtMs: this.nowMs() });
    const seq = this.batches.length;
    this.index.apply(
      seq,
      batch.claims.map((claim) => ({
        tenant: claim.tenant,
        eventId: claim.eventId,
        idTimeMs: uuidV7Time(claim.eventId),
        supersedes: claim.supersedes,
      })),
    );
    return seq;
  }
  async applied(_seq: number) {}
  async read(position: ClaimPosition): Promise<StoredClaim> {
    const stored = this.batches[claimSeqOf(position) - 1];
    const claim = stored?.batch.claims[claimIndexOf(position)];
    if (stored === undefined || claim === undefined) throw new Error(`no claim at ${position}`);
    const { batchId, shard, claimUntilMs } = stored.batch;
    return {
      batchId,
      shard,
      claimUntilMs,
      expectedRound: claim.expectedRound,
      storedAtMs: stored.storedAtMs,
    };
  }
}

function harness(options: { failPublish?: boolean } = {}) {
  let now = START_MS;
  const index = new ClaimIndex({ windowMs: WINDOW_MS, skewMs: SKEW_MS });
  const claims = new MemoryClaims(index, () => now);
  const stream: EventBatchToPublish[] = [];
  let counter = 0;
  const pipeline = new IngestPipeline(
    {
      claims,
      index,
      locator: {
        async find(query: LocateQuery) {
          const batch = stream.find(
            (b) => `events.${b.shard}` === query.subject && b.batchId === query.batchId,
          );
          return batch?.events.find((bytes) => Buffer.from(bytes).includes(Buffer.from(query.eventId)));
        },
      },
      publishBatch: async (batch) => {
        if (options.failPublish) throw new Error('no JetStream ack');
        if (!stream.some((stored) => stored.batchId === batch.batchId)) stream.push(batch);
      },
      hashLeaf: (canonical) => hasher.hashLeaf(canonical),
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
  return { pipeline, claims, stream, now: () => now, advance: (ms: number) => (now += ms) };
}

/** Event n as ingest prepares it (stamped at `receivedAtUs`, with nonce `nonce`; content `actor`). */
function event(
  n: number,
  options: { shard?: number; actor?: string; receivedAtUs?: number; nonce?: number; idTimeMs?: number } = {},
): PreparedEvent {
  const eventId = mintUuidV7(options.idTimeMs ?? START_MS, new Uint8Array(16).fill(n));
  const receivedAtUs = options.receivedAtUs ?? START_MS * 1000 + n;
  const domain: DataEvent = {
    tenant: 'acme',
    eventId,
    kind: 'STORE',
    data: { algorithm: 'sha256', digest: new Uint8Array(32).fill(n) },
    inputs: [],
    outputs: [],
    toTenant: '',
    actor: options.actor ?? 'alice',
    submitter: 'etl',
    source: { system: 's3', region: '', host: '' },
    destination: { system: '', region: '', host: '' },
    occurredAt: START_MS * 1000 - 5,
    receivedAt: receivedAtUs,
    parents: [],
    attributes: [],
    nonce: new Uint8Array(16).fill(options.nonce ?? n),
  };
  const canonical = encodeEvent(domain);
  return {
    key: claimKey('acme', eventId),
    tenant: 'acme',
    eventId,
    idTimeMs: options.idTimeMs ?? START_MS,
    canonical,
    leafHash: hasher.hashLeaf(canonical),
    shard: options.shard ?? n % 2,
    receivedAtUs,
    expectedRound: 9,
  };
}

/** The same event id and content, submitted again later (other stamps). */
const resubmitted = (n: number, more: Parameters<typeof event>[1] = {}) =>
  event(n, { receivedAtUs: START_MS * 1000 + 777_000, nonce: 200, ...more });

const copies = (stream: readonly EventBatchToPublish[], e: PreparedEvent) =>
  stream
    .flatMap((batch) => batch.events)
    .filter((bytes) => Buffer.from(bytes).includes(Buffer.from(e.eventId))).length;

function durable(ack: Ack | undefined) {
  if (ack?.kind !== 'durable') throw new Error(`not durable: ${JSON.stringify(ack)}`);
  return ack;
}

/** Claims `e` as a crashed ingest would have: ClaimBatch stored, its EventBatch never published. */
async function crashedClaim(h: ReturnType<typeof harness>, e: PreparedEvent, claimUntilMs: number) {
  await h.claims.append({
    batchId: 'ingest-dead-1',
    shard: e.shard,
    claimUntilMs,
    claims: [{ tenant: e.tenant, eventId: e.eventId, expectedRound: 3, supersedes: 0 }],
  });
}

describe('IngestPipeline', () => {
  it('claims each batch with one ClaimBatch, publishes per shard, acks durable', async () => {
    const h = harness();
    const acks = await h.pipeline.submit([event(1), event(2), event(3)], h.now() + 5000);
    expect(acks.map((ack) => durable(ack).duplicate)).toEqual([false, false, false]);
    expect(acks.map((ack) => durable(ack).shard)).toEqual([1, 0, 1]);
    expect(h.claims.batches.map(({ batch }) => [batch.shard, batch.claims.length]).sort()).toEqual([
      [0, 1],
      [1, 2],
    ]);
    const byShard = [...h.stream].sort((x, y) => x.shard - y.shard);
    expect(byShard.map((batch) => [batch.shard, batch.events.length])).toEqual([
      [0, 1],
      [1, 2],
    ]);
    for (const { batch } of h.claims.batches) {
      expect(byShard[batch.shard]).toMatchObject({ batchId: batch.batchId, deadlineMs: batch.claimUntilMs });
    }
  });

  it('answers a resubmission with the original ack, claiming and publishing nothing', async () => {
    const h = harness();
    const [original] = await h.pipeline.submit([event(4)], h.now() + 5000);
    h.advance(60_000);
    const [again] = await h.pipeline.submit([resubmitted(4)], h.now() + 5000);
    expect(durable(again)).toEqual({ ...durable(original), duplicate: true });
    expect(h.claims.batches).toHaveLength(1);
    expect(copies(h.stream, event(4))).toBe(1);
  });

  it('refuses the same id with other content: ID_CONFLICT, nothing published', async () => {
    const h = harness();
    await h.pipeline.submit([event(5)], h.now() + 5000);
    const [again] = await h.pipeline.submit([resubmitted(5, { actor: 'mallory' })], h.now() + 5000);
    expect(again).toMatchObject({ kind: 'failed', code: 'ID_CONFLICT' });
    expect(copies(h.stream, event(5))).toBe(1);
  });

  it('refuses an id whose time is outside [now − window, now + skew]: ID_OUTSIDE_WINDOW', async () => {
    const h = harness();
    const tooOld = event(6, { idTimeMs: START_MS - WINDOW_MS - 1 });
    const oldest = event(7, { idTimeMs: START_MS - WINDOW_MS });
    const tooNew = event(8, { idTimeMs: START_MS + SKEW_MS + 1 });
    const acks = await h.pipeline.submit([tooOld, oldest, tooNew], h.now() + 5000);
    expect(acks.map((ack) => (ack.kind === 'failed' ? ack.code : 'durable'))).toEqual([
      'ID_OUTSIDE_WINDOW',
      'durable',
      'ID_OUTSIDE_WINDOW',
    ]);
    expect(h.stream.flatMap((batch) => batch.events)).toHaveLength(1);
  });

  it('makes one leaf of the same id in two concurrent requests: the first claim wins', async () => {
    const h = harness();
    const [first, second] = await Promise.all([
      h.pipeline.submit([event(9)], h.now() + 5000),
      h.pipeline.submit([resubmitted(9)], h.now() + 5000),
    ]);
    expect(durable(first[0]).duplicate).toBe(false);
    expect(durable(second[0])).toEqual({ ...durable(first[0]), duplicate: true });
    expect(copies(h.stream, event(9))).toBe(1);
  });

  it('waits while another claim may still publish, then answers IN_PROGRESS at the deadline', async () => {
    const h = harness();
    await crashedClaim(h, event(10), h.now() + 60_000);
    const start = h.now();
    const [ack] = await h.pipeline.submit([resubmitted(10)], h.now() + 2000);
    expect(ack).toMatchObject({ kind: 'failed', code: 'IN_PROGRESS' });
    expect(h.now() - start).toBeGreaterThan(1000);
    expect(copies(h.stream, event(10))).toBe(0);
  });

  it('finds the event once the other claim publishes it', async () => {
    const h = harness();
    await crashedClaim(h, event(11), h.now() + 60_000);
    const waiting = h.pipeline.submit([resubmitted(11)], h.now() + 5000);
    h.stream.push({ batchId: 'ingest-dead-1', shard: 1, events: [event(11).canonical], deadlineMs: 0 });
    const [ack] = await waiting;
    expect(durable(ack)).toMatchObject({
      duplicate: true,
      expectedRound: 3,
      receivedAtUs: event(11).receivedAtUs,
      leafHash: event(11).leafHash,
    });
  });

  it('replaces a void claim (its batch never published): one leaf, and later retries get its ack', async () => {
    const h = harness();
    await crashedClaim(h, event(12), h.now() - 5000);
    const [ack] = await h.pipeline.submit([resubmitted(12)], h.now() + 5000);
    expect(durable(ack)).toMatchObject({ duplicate: false, leafHash: resubmitted(12).leafHash });
    expect(h.claims.batches.at(-1)?.batch.claims[0]?.supersedes).toBeGreaterThan(0);
    const [again] = await h.pipeline.submit([event(12, { nonce: 99 })], h.now() + 5000);
    expect(durable(again)).toEqual({ ...durable(ack), duplicate: true });
    expect(copies(h.stream, event(12))).toBe(1);
  });

  it('lets only one of two concurrent replacements of a void claim win', async () => {
    const h = harness();
    await crashedClaim(h, event(13), h.now() - 5000);
    const [first, second] = await Promise.all([
      h.pipeline.submit([resubmitted(13)], h.now() + 5000),
      h.pipeline.submit([resubmitted(13, { nonce: 201 })], h.now() + 5000),
    ]);
    expect(durable(first[0]).leafHash).toEqual(durable(second[0]).leafHash);
    expect(copies(h.stream, event(13))).toBe(1);
  });

  it('fails UNAVAILABLE when the claim or the publish fails', async () => {
    const h = harness();
    h.claims.failAppends = true;
    expect((await h.pipeline.submit([event(14)], h.now() + 5000))[0]).toMatchObject({
      kind: 'failed',
      code: 'UNAVAILABLE',
    });
    expect(h.stream).toHaveLength(0);
    const broken = harness({ failPublish: true });
    expect((await broken.pipeline.submit([event(15)], broken.now() + 5000))[0]).toMatchObject({
      kind: 'failed',
      code: 'UNAVAILABLE',
    });
  });
});
