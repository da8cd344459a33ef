import { encodeSeal, seedShardMap } from '@msi/core';
import { nodeHasher } from '@msi/crypto-node';
import { portableHasher } from '@msi/merkle';
import { streamNamesFor, subjectsFor } from '@msi/nats';
import { createLogger, createRegistry } from '@msi/service-kit';
import { eventually, useWorld } from '@msi/testkit';
import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AggregatorSettings, type RunningAggregator, startAggregator } from './aggregator.js';
import { AggregatorError } from './aggregator-error.js';
import { createMetrics } from './metrics.js';
import {
  type PublishedBatch,
  publishEvents,
  readAllSeals,
  sealProblems,
  uncovered,
} from './seal-check.test-helper.js';
import { publishSeal, readLastSeal, type SealLogAddress } from './seal-log.js';
import { encodeShardSealed } from './shard-sealed.js';
import { type ShardLeaseHandle, ShardWorker } from './shard-worker.js';

const world = useWorld({ label: 'aggregator', nats: true });
const prefix = world.prefix;
const hasher = portableHasher();
const logLines: string[] = [];
let js: JetStreamClient;
let jsm: JetStreamManager;
const running: RunningAggregator[] = [];

const settings = (aggregatorId: string): AggregatorSettings => ({
  prefix,
  shards: 2,
  roundIntervalMs: 200,
  aggregatorId,
  leaseTtlMs: 1500,
  graceMs: 100,
  maxSealLeaves: 50,
  natsReplicas: 1,
});

async function start(aggregatorId: string): Promise<RunningAggregator> {
  const aggregator = await startAggregator({
    nc: world.nc,
    hasher: nodeHasher(),
    settings: settings(aggregatorId),
    log: createLogger({ service: 'aggregator', level: 'debug', write: (line) => logLines.push(line) }),
    metrics: createMetrics(createRegistry('aggregator')),
    nowMs: Date.now,
  });
  running.push(aggregator);
  return aggregator;
}

/** True once every batch is covered by a seal; throws naming the uncovered ones until then. */
async function allSealed(batches: readonly PublishedBatch[]): Promise<true> {
  const left = uncovered(batches, await readAllSeals(jsm, prefix));
  if (left.length > 0) throw new Error(`uncovered: ${left.map((b) => `${b.shard}@${b.seq}`)}`);
  return true;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  js = jetstream(world.nc);
  jsm = await jetstreamManager(world.nc);
});

afterEach((context) => {
  if (context.task.result?.state === 'fail') process.stderr.write(`aggregator log:\n${logLines.join('')}`);
  logLines.length = 0;
});

afterAll(async () => {
  for (const aggregator of running) await aggregator.stop().catch(() => {});
});

describe('aggregator (in process, real NATS)', () => {
  const published: PublishedBatch[] = [];
  let originals: Map<number, Uint8Array[]>;

  it('seals exactly the published events: gapless numbers, contiguous ranges, roots over their leaves', async () => {
    const first = await start('agg-one');
    expect(
      await eventually('agg-one to own both shards', () => first.ownedShards().length === 2, {
        timeoutMs: 5000,
      }),
    ).toBe(true);
    // Bursts in separate windows, one spread over several windows, and one over the leaf cap (50).
    for (let burst = 0; burst < 3; burst++) {
      for (const shard of [0, 1]) published.push(await publishEvents(js, hasher, prefix, shard, 3 + burst));
      await sleep(350);
    }
    for (let i = 0; i < 10; i++) {
      published.push(await publishEvents(js, hasher, prefix, i % 2, 1));
      await sleep(60);
    }
    for (let i = 0; i < 4; i++) published.push(await publishEvents(js, hasher, prefix, 0, 20));

    const covered = await eventually('every published event sealed', () => allSealed(published), {
      timeoutMs: 10_000,
    });
    const seals = await readAllSeals(jsm, prefix);
    expect(covered, `uncovered: ${uncovered(published, seals).map((b) => b.seq)}`).toBe(true);
    expect(sealProblems(hasher, published, seals)).toEqual([]);
    expect(seals.get(0)?.length).toBeGreaterThanOrEqual(4);
    expect(seals.get(1)?.length).toBeGreaterThanOrEqual(3);
    // The leaf cap closes a seal once it holds 50 leaves: 80 events in one window need two seals.
    expect(Math.max(...(seals.get(0) ?? []).map((s) => s.record.leafCount))).toBeLessThanOrEqual(50 + 20);
    originals = new Map([...seals].map(([shard, list]) => [shard, list.map((s) => s.sealBytes)]));
    await first.stop();
  });

  it('a fresh aggregator replaying the stream from scratch reproduces the seals byte for byte', async () => {
    // Wipe the seals (the leases were released by stop): the next owner starts at sequence 1.
    await jsm.streams.purge(streamNamesFor(prefix).seals);
    const second = await start('agg-two');
    const total = [...originals.values()].reduce((n, list) => n + list.length, 0);
    const replayed = await eventually(
      `${total} seals replayed`,
      async () => {
        const seals = await readAllSeals(jsm, prefix);
        return [...seals.values()].reduce((n, list) => n + list.length, 0) >= total;
      },
      { timeoutMs: 10_000 },
    );
    await second.stop();
    const seals = await readAllSeals(jsm, prefix);
    for (const [shard, bytes] of originals) {
      const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
      expect((seals.get(shard) ?? []).map((s) => hex(s.sealBytes))).toEqual(bytes.map(hex));
    }
    expect(seals.get(0)?.every((s) => s.aggregatorId === 'agg-two')).toBe(true);
    expect(replayed).toBe(true);
  });
});

interface Owner {
  readonly id: string;
  readonly leaseRevision: number;
}

describe('seal fencing (real NATS)', () => {
  // A shard no aggregator of this file works on.
  const at: SealLogAddress = {
    stream: streamNamesFor(prefix).seals,
    subject: subjectsFor(prefix).seals(9),
    shard: 9,
  };
  const seal = (sealNumber: number, streamStart: number, fill: number) =>
    encodeSeal({
      shard: 9,
      sealNumber,
      streamStart,
      streamEnd: streamStart + 5,
      leafCount: 7,
      maxReceivedAt: 1_732_000_000_000_000,
      root: new Uint8Array(32).fill(fill),
    });
  const publish = (sealBytes: Uint8Array, sealNumber: number, expectLastSealSeq: number, owner: Owner) =>
    publishSeal(js, jsm, at, {
      sealNumber,
      sealBytes,
      payload: encodeShardSealed(sealBytes, owner.id, owner.leaseRevision, 1),
      leaseRevision: owner.leaseRevision,
      expectLastSealSeq,
      deadline: Date.now() + 5000,
      timeoutMs: 1000,
    });
  const fenced = async (attempt: Promise<unknown>): Promise<string | undefined> => {
    try {
      await attempt;
    } catch (error) {
      if (error instanceof AggregatorError) return error.code;
      throw error;
    }
    return undefined;
  };

  it("refuses an old owner's late seal; a retry is idempotent; a reused msgID with other bytes is refused", async () => {
    const oldOwner: Owner = { id: 'old-owner', leaseRevision: 1 };
    const newOwner: Owner = { id: 'new-owner', leaseRevision: 2 };
    expect(await readLastSeal(jsm, at)).toBeUndefined();
    // Both owners resumed from "no seal"; the new owner publishes seal 0 first.
    const newSeal = seal(0, 1, 0xaa);
    const stored = await publish(newSeal, 0, 0, newOwner);
    expect((await readLastSeal(jsm, at))?.subjectSeq).toBe(stored);
    // Its retry (same bytes, same msgID) resolves to the same message.
    expect(await publish(newSeal, 0, 0, newOwner)).toBe(stored);
    // The old owner wakes up and publishes its own seal 0, then seal 1, on the stale expectation.
    expect(await fenced(publish(seal(0, 1, 0xbb), 0, 0, oldOwner))).toBe('FENCED');
    expect(await fenced(publish(seal(1, 6, 0xbb), 1, 0, oldOwner))).toBe('FENCED');
    // A "duplicate" answer for other bytes under the same msgID is not taken as stored.
    expect(await fenced(publish(seal(0, 1, 0xcc), 0, 0, newOwner))).toBe('FENCED');
    // Only the new owner's seal is on the subject.
    const last = await readLastSeal(jsm, at);
    expect(last?.aggregatorId).toBe('new-owner');
    expect(last?.subjectSeq).toBe(stored);
  });
});

describe('shard worker against a takeover (real NATS)', () => {
  const shard = 5; // no aggregator of this file works on it
  const at: SealLogAddress = {
    stream: streamNamesFor(prefix).seals,
    subject: subjectsFor(prefix).seals(shard),
    shard,
  };
  const worker = (lease: ShardLeaseHandle) =>
    ShardWorker.start({
      js,
      jsm,
      hasher: nodeHasher(),
      prefix,
      shard,
      aggregatorId: 'old-owner',
      lease: () => lease,
      intervalMs: 200,
      graceMs: 100,
      maxSealLeaves: 1000,
      nowMs: Date.now,
      log: createLogger({ service: 'aggregator', level: 'debug', write: (line) => logLines.push(line) }),
      metrics: createMetrics(createRegistry('aggregator')),
      shardMap: () => seedShardMap(8, 0),
      onRetiredShardSealed: () => {},
      onStatus: () => {},
    });

  it('a worker whose shard was sealed meanwhile by a new owner is FENCED and publishes nothing', async () => {
    const old = worker({ revision: 1, expiresAtMs: Date.now() + 60_000 });
    const sealed: PublishedBatch[] = [await publishEvents(js, hasher, prefix, shard, 2)];
    expect(await eventually('the batch sealed', () => allSealed(sealed), { timeoutMs: 5000 })).toBe(true);
    const first = await readLastSeal(jsm, at);
    // While the old owner holds an open seal, a new owner (having resumed from seal 0) seals the
    // same message as seal 1 first.
    const late = await publishEvents(js, hasher, prefix, shard, 2);
    const takeover = encodeSeal({
      shard,
      sealNumber: 1,
      streamStart: late.seq,
      streamEnd: late.seq + 1,
      leafCount: 2,
      maxReceivedAt: late.maxReceivedAt,
      root: new Uint8Array(32).fill(1),
    });
    await publishSeal(js, jsm, at, {
      sealNumber: 1,
      sealBytes: takeover,
      payload: encodeShardSealed(takeover, 'new-owner', 2, 1),
      leaseRevision: 2,
      expectLastSealSeq: first?.subjectSeq ?? 0,
      deadline: Date.now() + 5000,
      timeoutMs: 1000,
    });
    const outcome = await Promise.race([old.done, sleep(5000).then(() => old.stop())]);
    expect(outcome.reason).toBe('fenced');
    const seals = (await readAllSeals(jsm, prefix)).get(shard) ?? [];
    expect(seals.map((s) => [s.record.sealNumber, s.aggregatorId])).toEqual([
      [0, 'old-owner'],
      [1, 'new-owner'],
    ]);
  });

  it('a worker whose lease has run out publishes nothing', async () => {
    const expired = worker({ revision: 3, expiresAtMs: Date.now() - 1 });
    const before = ((await readAllSeals(jsm, prefix)).get(shard) ?? []).length;
    await publishEvents(js, hasher, prefix, shard, 1);
    const outcome = await Promise.race([expired.done, sleep(5000).then(() => expired.stop())]);
    expect(outcome.reason).toBe('lease-expired');
    expect(((await readAllSeals(jsm, prefix)).get(shard) ?? []).length).toBe(before);
  });
});
