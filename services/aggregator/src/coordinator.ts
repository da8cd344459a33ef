import { every, type Logger, type RunningLoop } from '@msi/service-kit';
import { planLeases } from './fair-share.js';
import {
  classifyLease,
  encodeLease,
  INSTANCE_KEY_PREFIX,
  instanceKey,
  type LeaseState,
  leaseKey,
  liveInstances,
  RELEASED,
} from './lease.js';
import { isCasConflict, type LeaseStore } from './lease-store.js';
import type { AggregatorMetrics } from './metrics.js';
import type { ShardLeaseHandle, WorkerOutcome } from './shard-worker.js';

/** What the coordinator needs of a shard worker. */
export interface Worker {
  readonly done: Promise<WorkerOutcome>;
  stop(): Promise<WorkerOutcome>;
}

export interface CoordinatorOptions {
  readonly store: LeaseStore;
  /** How many shards are served now (every shard of the shard map in force, read at each round). */
  readonly shards: () => number;
  readonly aggregatorId: string;
  readonly leaseTtlMs: number;
  readonly nowMs: () => number;
  readonly log: Logger;
  readonly metrics: AggregatorMetrics;
  /** Starts working on `shard`; `lease` reads the lease as currently held. */
  readonly startWorker: (shard: number, lease: () => ShardLeaseHandle) => Worker;
}

interface Held {
  revision: number;
  expiresAtMs: number;
  worker: Worker | undefined;
}

/** Heartbeats this long past their expiry are deleted (by whoever sees them). */
const STALE_HEARTBEAT_TTLS = 10;

/**
 * Holds this process's share of the shards. Every ttl/3 it writes its heartbeat, renews each lease it
 * holds by compare-and-set on the revision (a failed CAS means the lease is lost: the shard's worker
 * stops at once), then plans by fair share (fair-share.ts): releases shards over its quota and takes
 * free or expired ones, starting a worker for each shard it takes.
 */
export class Coordinator {
  readonly #o: CoordinatorOptions;
  readonly #held = new Map<number, Held>();
  #stopping = false;
  #loop: RunningLoop | undefined;
  #heartbeatRevision = 0;

  constructor(options: CoordinatorOptions) {
    this.#o = options;
  }

  /** The shards this process holds a lease on, ascending. */
  ownedShards(): number[] {
    return [...this.#held.keys()].sort((a, b) => a - b);
  }

  start(): void {
    this.#loop ??= every({
      intervalMs: Math.floor(this.#o.leaseTtlMs / 3),
      run: () => this.tick(),
      onError: (error) => this.#o.log.warn('lease round failed', { error }),
    });
  }

  /** Runs a round at once (the shard map changed). */
  wake(): void {
    this.#loop?.wake();
  }

  /** Stops every worker, releases every lease and removes the heartbeat. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#loop?.stop();
    await Promise.all(this.ownedShards().map((shard) => this.#release(shard)));
    if (this.#heartbeatRevision > 0) {
      await this.#o.store.remove(instanceKey(this.#o.aggregatorId), this.#heartbeatRevision).catch(() => {});
    }
  }

  /** One round: heartbeat, renewals, then fair share. Exposed for tests; `start` runs it every ttl/3. */
  async tick(): Promise<void> {
    const { store, aggregatorId: me, leaseTtlMs, nowMs } = this.#o;
    try {
      this.#heartbeatRevision = await store.put(
        instanceKey(me),
        encodeLease({ owner: me, expiresAtMs: nowMs() + leaseTtlMs }),
      );
    } catch (error) {
      this.#o.log.warn('heartbeat failed', { error }); // the renewals below must still run
    }
    await Promise.all([...this.#held.keys()].map((shard) => this.#renew(shard)));
    if (this.#stopping) return;

    const live = await this.#liveInstances();
    const shards = this.#o.shards();
    const entries = await Promise.all(Array.from({ length: shards }, (_, s) => store.read(leaseKey(s))));
    const at = nowMs();
    const leases: LeaseState[] = entries.map((entry, shard) =>
      classifyLease(entry, me, this.#held.get(shard)?.revision, at),
    );
    leases.forEach((lease, shard) => {
      if (this.#held.has(shard) && lease.kind !== 'mine') this.#lose(shard, 'the lease shows another holder');
    });
    const plan = planLeases({ shards, me, live, leases });
    for (const shard of plan.release) {
      this.#o.log.info('releasing shard (fair share)', { shard, quota: plan.quota, live: live.length });
      await this.#release(shard);
    }
    for (const shard of plan.acquire) {
      const lease = leases[shard];
      if (lease?.kind === 'free' && !this.#stopping) await this.#acquire(shard, lease.revision);
    }
    // Restart workers that failed, now that their leases were just renewed.
    for (const [shard, held] of this.#held) {
      if (held.worker === undefined && !this.#stopping) this.#startWorker(shard, held);
    }
    this.#o.metrics.shardsOwned.set(this.#held.size);
  }

  async #liveInstances(): Promise<string[]> {
    const { store, nowMs, leaseTtlMs } = this.#o;
    const keys = await store.keys(INSTANCE_KEY_PREFIX);
    const entries = await Promise.all(keys.map((key) => store.read(key)));
    const at = nowMs();
    entries.forEach((entry, i) => {
      const key = keys[i];
      if (entry === null || key === undefined) return;
      if (liveInstances([entry], at - STALE_HEARTBEAT_TTLS * leaseTtlMs).length === 0) {
        void store.remove(key, entry.revision).catch(() => {}); // long dead: tidy up
      }
    });
    return liveInstances(entries, at);
  }

  async #renew(shard: number): Promise<void> {
    const held = this.#held.get(shard);
    if (held === undefined) return;
    const { store, aggregatorId: me, leaseTtlMs, nowMs } = this.#o;
    const expiresAtMs = nowMs() + leaseTtlMs;
    try {
      const revision = await store.write(
        leaseKey(shard),
        encodeLease({ owner: me, expiresAtMs }),
        held.revision,
      );
      if (this.#held.get(shard) === held) {
        held.revision = revision;
        held.expiresAtMs = expiresAtMs;
      }
    } catch (error) {
      if (isCasConflict(error)) this.#lose(shard, 'renewal lost its compare-and-set');
      else if (nowMs() >= held.expiresAtMs) this.#lose(shard, 'the lease expired before it could be renewed');
      else this.#o.log.warn('lease renewal failed; retrying', { shard, error });
    }
  }

  async #acquire(shard: number, revision: number): Promise<void> {
    const { store, aggregatorId: me, leaseTtlMs, nowMs } = this.#o;
    const expiresAtMs = nowMs() + leaseTtlMs;
    let taken: number;
    try {
      taken = await store.write(leaseKey(shard), encodeLease({ owner: me, expiresAtMs }), revision);
    } catch (error) {
      if (!isCasConflict(error)) this.#o.log.warn('taking a lease failed', { shard, error });
      return; // someone else took it first
    }
    const held: Held = { revision: taken, expiresAtMs, worker: undefined };
    this.#held.set(shard, held);
    this.#o.log.info('shard lease taken', { shard, revision: taken });
    this.#startWorker(shard, held);
  }

  #startWorker(shard: number, held: Held): void {
    const worker = this.#o.startWorker(shard, () => ({
      revision: held.revision,
      expiresAtMs: held.expiresAtMs,
    }));
    held.worker = worker;
    void worker.done.then((outcome) => this.#onWorkerDone(shard, held, outcome));
  }

  #onWorkerDone(shard: number, held: Held, outcome: WorkerOutcome): void {
    if (this.#held.get(shard) !== held) return; // released or lost meanwhile
    switch (outcome.reason) {
      case 'stopped':
        return;
      case 'fenced':
        this.#o.log.warn('seal fenced: dropping the shard', { shard, error: outcome.error });
        void this.#release(shard);
        return;
      case 'lease-expired':
        this.#lose(shard, 'the lease expired before a seal');
        return;
      case 'failed':
        this.#o.log.error('shard worker failed; restarting after the next renewal', {
          shard,
          error: outcome.error,
        });
        held.worker = undefined;
        return;
      default: {
        const _: never = outcome;
        throw new Error(`unknown outcome ${String(_)}`);
      }
    }
  }

  /** The lease is gone (taken over or expired): stop work on the shard at once. */
  #lose(shard: number, why: string): void {
    const held = this.#held.get(shard);
    if (held === undefined) return;
    this.#held.delete(shard);
    void held.worker?.stop();
    this.#o.metrics.leasesLost.inc();
    this.#o.metrics.shardsOwned.set(this.#held.size);
    this.#o.log.warn('shard lease lost', { shard, why });
  }

  /** Stops the shard's worker, then gives the lease up (written expired, by compare-and-set). */
  async #release(shard: number): Promise<void> {
    const held = this.#held.get(shard);
    if (held === undefined) return;
    this.#held.delete(shard);
    await held.worker?.stop();
    await this.#o.store.write(leaseKey(shard), encodeLease(RELEASED), held.revision).catch(() => {});
    this.#o.metrics.shardsOwned.set(this.#held.size);
  }
}
