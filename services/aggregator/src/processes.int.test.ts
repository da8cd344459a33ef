import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { portableHasher } from '@msi/merkle';
import { bucketNamesFor } from '@msi/nats';
import { eventually, repositoryRoot, useWorld } from '@msi/testkit';
import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { type KV, Kvm } from '@nats-io/kv';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeLease, leaseKey } from './lease.js';
import {
  type PublishedBatch,
  publishEvents,
  readAllSeals,
  sealProblems,
  uncovered,
} from './seal-check.test-helper.js';

const world = useWorld({ label: 'aggregator_processes', nats: true });
const { natsUrl, prefix } = world;
const hasher = portableHasher();
const SHARDS = 4;
const TTL_MS = 1500;
let js: JetStreamClient;
let jsm: JetStreamManager;
let leases: KV | undefined;
const published: PublishedBatch[] = [];

/** A spawned `node services/aggregator/dist/main.js` and its JSON log lines. */
class Aggregator {
  readonly lines: Record<string, unknown>[] = [];
  readonly child: ChildProcess;
  #partial = '';

  constructor(readonly id: string) {
    this.child = spawn(process.execPath, [join(repositoryRoot(), 'services/aggregator/dist/main.js')], {
      env: {
        PATH: process.env.PATH,
        MSI_NATS_URL: natsUrl,
        MSI_PREFIX: prefix,
        MSI_SHARDS: String(SHARDS),
        MSI_ROUND_INTERVAL_MS: '200',
        MSI_AGGREGATOR_ID: id,
        MSI_AGGREGATOR_LEASE_TTL_MS: String(TTL_MS),
        MSI_AGGREGATOR_GRACE_MS: '100',
        MSI_AGGREGATOR_METRICS_HOST: '127.0.0.1',
        MSI_AGGREGATOR_METRICS_PORT: '0',
        MSI_LOG_LEVEL: 'debug',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.on('data', (chunk: Buffer) => this.#take(chunk.toString()));
    this.child.stderr?.on('data', (chunk: Buffer) => this.lines.push({ stderr: chunk.toString() }));
  }

  #take(text: string): void {
    const parts = (this.#partial + text).split('\n');
    this.#partial = parts.pop() ?? '';
    for (const line of parts) {
      try {
        this.lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        this.lines.push({ raw: line });
      }
    }
  }

  signal(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }

  /** Log lines with message `msg` (and the given fields), from line `from` on. */
  logged(msg: string, fields: Record<string, unknown> = {}, from = 0): Record<string, unknown>[] {
    return this.lines
      .slice(from)
      .filter((l) => l.msg === msg && Object.entries(fields).every(([k, v]) => l[k] === v));
  }
}

const spawned: Aggregator[] = [];
const startAggregator = (id: string): Aggregator => {
  const aggregator = new Aggregator(id);
  spawned.push(aggregator);
  return aggregator;
};

/** The live owner of every shard's lease (undefined: none), read from KV. */
async function owners(): Promise<(string | undefined)[]> {
  leases ??= await new Kvm(js).open(bucketNamesFor(prefix).leases);
  const kv = leases;
  return Promise.all(
    Array.from({ length: SHARDS }, async (_, shard) => {
      const entry = await kv.get(leaseKey(shard)).catch(() => null);
      const lease = entry?.operation === 'PUT' ? decodeLease(entry.value) : undefined;
      return lease !== undefined && lease.expiresAtMs > Date.now() && lease.owner !== ''
        ? lease.owner
        : undefined;
    }),
  );
}

const shardsOf = (all: (string | undefined)[], id: string): number[] =>
  all.flatMap((owner, shard) => (owner === id ? [shard] : []));

/** True once each of `ids` owns `count` shards; throws with the owners until then. */
async function ownsShards(ids: readonly string[], count: number): Promise<true> {
  const all = await owners();
  if (!ids.every((id) => shardsOf(all, id).length === count)) throw new Error(`owners: ${all}`);
  return true;
}

async function publishToAll(batchesPerShard: number): Promise<void> {
  for (let i = 0; i < batchesPerShard; i++) {
    for (let shard = 0; shard < SHARDS; shard++)
      published.push(await publishEvents(js, hasher, prefix, shard, 3));
  }
}

async function expectAllSealedOnce(timeoutMs: number): Promise<void> {
  const done = await eventually(
    'every published message sealed',
    async () => {
      const left = uncovered(published, await readAllSeals(jsm, prefix));
      if (left.length > 0) throw new Error(`messages not sealed: ${left.map((b) => `${b.shard}@${b.seq}`)}`);
      return true;
    },
    { timeoutMs },
  );
  const seals = await readAllSeals(jsm, prefix);
  expect(done, `messages not sealed: ${uncovered(published, seals).map((b) => `${b.shard}@${b.seq}`)}`).toBe(
    true,
  );
  expect(sealProblems(hasher, published, seals)).toEqual([]);
}

beforeAll(async () => {
  js = jetstream(world.nc);
  jsm = await jetstreamManager(world.nc);
});

afterEach((context) => {
  if (context.task.result?.state === 'fail') {
    for (const a of spawned) {
      process.stderr.write(`--- ${a.id} ---\n${a.lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
    }
  }
});

afterAll(async () => {
  for (const a of spawned) {
    a.signal('SIGCONT');
    a.signal('SIGKILL');
  }
});

describe('aggregator processes (real NATS)', () => {
  it('two processes split the shards; after SIGKILL of one the other takes its shards, nothing lost or sealed twice', async () => {
    const a = startAggregator('agg-a');
    const b = startAggregator('agg-b');
    const split = await eventually('A and B to own 2 shards each', () => ownsShards([a.id, b.id], 2), {
      timeoutMs: 10_000,
    });
    expect(split, `owners: ${await owners()}`).toBe(true);

    await publishToAll(2);
    await expectAllSealedOnce(10_000);
    const sealers = new Set(
      [...(await readAllSeals(jsm, prefix)).values()].flat().map((s) => s.aggregatorId),
    );
    expect(sealers).toEqual(new Set([a.id, b.id]));

    // Kill A while its shards have fresh, unsealed messages; keep publishing while B takes over.
    await publishToAll(1);
    a.signal('SIGKILL');
    const killedAt = Date.now();
    for (let i = 0; i < 4; i++) {
      await publishToAll(1);
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    expect(
      await eventually('B to own every shard', () => ownsShards([b.id], SHARDS), { timeoutMs: 4 * TTL_MS }),
    ).toBe(true);
    const takeoverMs = Date.now() - killedAt;
    process.stdout.write(
      `takeover after SIGKILL: all shards owned by the survivor ${takeoverMs} ms after the kill\n`,
    );
    await expectAllSealedOnce(10_000);
  });

  it('SIGSTOP the owner: the other takes over and seals; after SIGCONT the old owner stops and seals nothing twice', async () => {
    const b = spawned.find((x) => x.id === 'agg-b');
    if (b === undefined) throw new Error('agg-b from the previous test');
    const c = startAggregator('agg-c');
    const split = await eventually('C to own 2 shards', () => ownsShards([c.id], 2), { timeoutMs: 10_000 });
    expect(split, `owners: ${await owners()}`).toBe(true);
    await publishToAll(1);
    await expectAllSealedOnce(10_000);

    // Pause C with unsealed messages on its shards; B must take them over and seal them.
    const paused = shardsOf(await owners(), c.id);
    await publishToAll(1);
    c.signal('SIGSTOP');
    await publishToAll(2);
    expect(
      await eventually('B to own every shard', () => ownsShards([b.id], SHARDS), { timeoutMs: 4 * TTL_MS }),
    ).toBe(true);
    await publishToAll(1);
    await expectAllSealedOnce(10_000);

    // Wake C: it finds its leases gone and stops working on those shards.
    const resumedAt = c.lines.length;
    c.signal('SIGCONT');
    const stopped = await eventually(
      `C to log "shard lease lost" for shards ${paused}`,
      () => paused.every((shard) => c.logged('shard lease lost', { shard }, resumedAt).length > 0),
      { timeoutMs: 3 * TTL_MS },
    );
    expect(stopped, `C's log after SIGCONT lacks "shard lease lost" for shards ${paused}`).toBe(true);
    // Whatever C attempted after waking, the seals stay gapless and cover every event exactly once,
    // also after C takes a fair share again under fresh leases.
    await publishToAll(2);
    await expectAllSealedOnce(10_000);
    expect(
      await eventually('C to own 2 shards again', () => ownsShards([c.id], 2), { timeoutMs: 4 * TTL_MS }),
    ).toBe(true);
    await publishToAll(1);
    await expectAllSealedOnce(10_000);
  });
});
