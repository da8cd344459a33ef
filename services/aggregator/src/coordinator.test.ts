import { createLogger, createRegistry } from '@msi/service-kit';
import { JetStreamApiError } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { Coordinator, type Worker } from './coordinator.js';
import { decodeLease, instanceKey, type KvEntryView, leaseKey } from './lease.js';
import type { LeaseStore } from './lease-store.js';
import { createMetrics } from './metrics.js';
import type { WorkerOutcome } from './shard-worker.js';

const TTL = 3000;

/** The leases bucket in memory: every write is a compare-and-set on the key's last revision, as in KV. */
class MemoryLeaseStore implements LeaseStore {
  readonly entries = new Map<string, KvEntryView>();
  #revision = 0;

  async read(key: string): Promise<KvEntryView | null> {
    return this.entries.get(key) ?? null;
  }
  async write(key: string, value: Uint8Array, revision: number): Promise<number> {
    const last = this.entries.get(key)?.revision ?? 0;
    if (last !== revision) {
      throw new JetStreamApiError({
        code: 400,
        err_code: 10071,
        description: `wrong last sequence: ${last}`,
      });
    }
    return this.put(key, value);
  }
  async put(key: string, value: Uint8Array): Promise<number> {
    this.#revision += 1;
    this.entries.set(key, { value, revision: this.#revision, operation: 'PUT' });
    return this.#revision;
  }
  async remove(key: string, revision: number): Promise<void> {
    if (this.entries.get(key)?.revision !== revision) throw new Error('wrong revision');
    this.#revision += 1;
    this.entries.set(key, { value: new Uint8Array(0), revision: this.#revision, operation: 'DEL' });
  }
  async keys(prefix: string): Promise<string[]> {
    return [...this.entries.keys()].filter((k) => k.startsWith(prefix));
  }
  owner(shard: number): string | undefined {
    const entry = this.entries.get(leaseKey(shard));
    return entry === undefined ? undefined : decodeLease(entry.value)?.owner;
  }
}

/** A worker the test ends by hand; `stopped` once it ended either way. */
class FakeWorker implements Worker {
  readonly done: Promise<WorkerOutcome>;
  stopped = false;
  #end: (outcome: WorkerOutcome) => void = () => {};
  constructor(readonly shard: number) {
    this.done = new Promise((resolve) => {
      this.#end = resolve;
    });
  }
  end(outcome: WorkerOutcome): void {
    this.stopped = true;
    this.#end(outcome);
  }
  async stop(): Promise<WorkerOutcome> {
    this.stopped = true;
    this.#end({ reason: 'stopped' });
    return this.done;
  }
}

function setup(
  store: MemoryLeaseStore,
  id: string,
  clock: { t: number },
  shards: number | (() => number) = 4,
) {
  const workers: FakeWorker[] = [];
  const coordinator = new Coordinator({
    store,
    shards: typeof shards === 'number' ? () => shards : shards,
    aggregatorId: id,
    leaseTtlMs: TTL,
    nowMs: () => clock.t,
    log: createLogger({ service: 'aggregator', level: 'error', write: () => {} }),
    metrics: createMetrics(createRegistry('aggregator')),
    startWorker: (shard) => {
      const worker = new FakeWorker(shard);
      workers.push(worker);
      return worker;
    },
  });
  const running = () => workers.filter((w) => !w.stopped);
  return { coordinator, workers, running };
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('Coordinator', () => {
  it('alone, takes every shard, starts a worker for each and writes its heartbeat', async () => {
    const store = new MemoryLeaseStore();
    const a = setup(store, 'a', { t: 1000 });
    await a.coordinator.tick();
    expect(a.coordinator.ownedShards()).toEqual([0, 1, 2, 3]);
    expect(a.running().map((w) => w.shard)).toEqual([0, 1, 2, 3]);
    expect([0, 1, 2, 3].map((s) => store.owner(s))).toEqual(['a', 'a', 'a', 'a']);
    expect(decodeLease(store.entries.get(instanceKey('a'))?.value ?? new Uint8Array())).toEqual({
      owner: 'a',
      expiresAtMs: 1000 + TTL,
    });
  });

  it('serves the shards a new shard map adds at its next round', async () => {
    const store = new MemoryLeaseStore();
    const served = { count: 2 };
    const a = setup(store, 'a', { t: 1000 }, () => served.count);
    await a.coordinator.tick();
    expect(a.coordinator.ownedShards()).toEqual([0, 1]);
    served.count = 5;
    await a.coordinator.tick();
    expect(a.coordinator.ownedShards()).toEqual([0, 1, 2, 3, 4]);
    expect(a.running().map((w) => w.shard)).toEqual([0, 1, 2, 3, 4]);
  });

  it('a newcomer gets a fair share: the holder releases its extra shards, the newcomer takes them', async () => {
    const store = new MemoryLeaseStore();
    const clock = { t: 1000 };
    const a = setup(store, 'a', clock);
    const b = setup(store, 'b', clock);
    await a.coordinator.tick();
    await b.coordinator.tick(); // sees a's heartbeat: quota 2, nothing free yet
    expect(b.coordinator.ownedShards()).toEqual([]);
    await a.coordinator.tick(); // sees b: releases the shards it does not prefer
    expect(a.coordinator.ownedShards()).toEqual([0, 2]);
    expect(a.workers.filter((w) => w.stopped).map((w) => w.shard)).toEqual([1, 3]);
    await b.coordinator.tick();
    expect(b.coordinator.ownedShards()).toEqual([1, 3]);
    expect([0, 1, 2, 3].map((s) => store.owner(s))).toEqual(['a', 'b', 'a', 'b']);
  });

  it("takes over a dead process's expired leases; the process, waking, finds them lost and stops", async () => {
    const store = new MemoryLeaseStore();
    const clock = { t: 1000 };
    const a = setup(store, 'a', clock);
    const b = setup(store, 'b', clock);
    await a.coordinator.tick();
    clock.t += TTL; // a is paused: no heartbeat, no renewal
    await b.coordinator.tick();
    expect(b.coordinator.ownedShards()).toEqual([0, 1, 2, 3]);
    await a.coordinator.tick(); // a wakes up: every renewal fails its compare-and-set
    expect(a.coordinator.ownedShards()).toEqual([]);
    expect(a.running()).toEqual([]);
    expect([0, 1, 2, 3].map((s) => store.owner(s))).toEqual(['b', 'b', 'b', 'b']);
  });

  it('drops a fenced shard (releasing its lease) and restarts a failed worker after the next renewal', async () => {
    const store = new MemoryLeaseStore();
    const clock = { t: 1000 };
    const a = setup(store, 'a', clock, 2);
    await a.coordinator.tick();
    const [w0, w1] = a.workers;
    w0?.end({ reason: 'failed', error: new Error('consumer not found') });
    w1?.end({ reason: 'fenced', error: new Error('fenced') as never });
    await flush();
    await flush();
    expect(a.coordinator.ownedShards()).toEqual([0]);
    expect(decodeLease(store.entries.get(leaseKey(1))?.value ?? new Uint8Array())?.expiresAtMs).toBe(0);
    clock.t += 1000;
    await a.coordinator.tick(); // renews shard 0 and restarts its worker; takes shard 1 again afresh
    expect(
      a
        .running()
        .map((w) => w.shard)
        .sort(),
    ).toEqual([0, 1]);
    expect(a.workers).toHaveLength(4);
  });

  it('stops: stops the workers, releases the leases and removes the heartbeat', async () => {
    const store = new MemoryLeaseStore();
    const a = setup(store, 'a', { t: 1000 }, 2);
    await a.coordinator.tick();
    await a.coordinator.stop();
    expect(a.running()).toEqual([]);
    expect(a.coordinator.ownedShards()).toEqual([]);
    expect([0, 1].map((s) => decodeLease(store.entries.get(leaseKey(s))?.value ?? new Uint8Array()))).toEqual(
      [
        { owner: '', expiresAtMs: 0 },
        { owner: '', expiresAtMs: 0 },
      ],
    );
    expect(store.entries.get(instanceKey('a'))?.operation).toBe('DEL');
  });
});
