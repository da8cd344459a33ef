import { type IngestMapReport, liveReports, type ShardMap } from '@msi/core';
import type { Logger } from '@msi/service-kit';
import { retireDrained, ShardMapFollower, ShardMapStore, type StoredShardMap } from '@msi/shard-map';
import type { JetStreamClient } from '@nats-io/jetstream';
import { IngestError } from './ingest-error.js';

export interface ShardRoutingOptions {
  readonly js: JetStreamClient;
  readonly bucket: string;
  readonly replicas: number;
  /** MSI_SHARDS: seeds version 1 when no map exists. */
  readonly seedCount: number;
  readonly instanceId: string;
  readonly pollMs: number;
  readonly reportTtlMs: number;
  readonly maxStalenessMs: number;
  readonly nowMs: () => number;
  readonly log: Logger;
}

/**
 * Which shard map ingest routes new events by. It follows KV `<P>_SHARDS` (ShardMapFollower), reports
 * the version it routes by under `ingest.<instance id>` after every read (live for `reportTtlMs`),
 * learns from the other instances' reports when a newer version exists, and retires draining shards
 * once core's rule allows (any instance may: the write is a compare-and-set).
 *
 * `routingMap()` refuses (UNAVAILABLE, retryable) while a newer version is known but not loaded, and
 * when the map was not confirmed within `reportTtlMs`: by then the other instances no longer count
 * this one as live, so a shard it routes to could retire.
 */
export class ShardRouting {
  readonly store: ShardMapStore;
  readonly #follower: ShardMapFollower;
  readonly #o: ShardRoutingOptions;

  private constructor(store: ShardMapStore, follower: ShardMapFollower, options: ShardRoutingOptions) {
    this.store = store;
    this.#follower = follower;
    this.#o = options;
  }

  static async start(options: ShardRoutingOptions): Promise<ShardRouting> {
    const store = await ShardMapStore.open(options.js, options.bucket, options.replicas);
    let routing: ShardRouting | undefined;
    const follower = await ShardMapFollower.start({
      store,
      seedCount: options.seedCount,
      pollMs: options.pollMs,
      nowMs: options.nowMs,
      log: options.log.child({ component: 'shard-map' }),
      afterRead: (stored) =>
        routing === undefined ? report(store, options, stored) : routing.#afterRead(stored),
    });
    routing = new ShardRouting(store, follower, options);
    return routing;
  }

  /** The map new events are routed by now; throws IngestError UNAVAILABLE when it may be stale. */
  routingMap(): ShardMap {
    return mapInForce(this.#follower, this.#o.nowMs(), this.#o.reportTtlMs);
  }

  /** The newest map loaded (for GetShardMap). */
  get current(): ShardMap {
    return this.#follower.current;
  }

  /** Adopts a map this instance just wrote (SetShardCount), then reports it. */
  async adopt(stored: StoredShardMap): Promise<void> {
    this.#follower.adopt(stored);
    await report(this.store, this.#o, stored);
  }

  /** Stops following and withdraws this instance's report (it routes nothing any more). */
  async stop(): Promise<void> {
    await this.#follower.stop();
    await this.store.removeReport(this.#o.instanceId).catch(() => undefined);
  }

  async #afterRead(stored: StoredShardMap): Promise<void> {
    await report(this.store, this.#o, stored);
    this.#follower.saw(newestLiveVersion(await this.store.reports(), this.#o.nowMs()));
    const retired = await retireDrained(this.store, stored, this.#o.nowMs(), this.#o.maxStalenessMs);
    if (retired !== undefined) {
      const shards = retired.map.shards.filter(
        (s) => s.state === 'retired' && s.sinceVersion === retired.map.version,
      );
      this.#o.log.info('draining shards retired', {
        version: retired.map.version,
        shards: shards.map((s) => s.shard),
      });
      await this.adopt(retired);
    }
  }
}

/** What routing knows of the map it follows (ShardMapFollower's view of KV). */
export interface FollowedMap {
  /** The newest version loaded. */
  readonly current: ShardMap;
  /** The newest version known to exist (loaded, or reported by another instance). */
  readonly newestSeen: number;
  /** When the map was last read successfully, epoch ms. */
  readonly confirmedAtMs: number;
}

/**
 * The map new events are routed by at `nowMs` (pure): the newest version loaded — unless a newer one
 * is known but not loaded yet (ingest never routes by a map older than the newest it has seen), or
 * the map was not confirmed for more than `reportTtlMs` (the other instances no longer count this
 * one as live, so a shard it routes to could retire). Both refusals are IngestError UNAVAILABLE:
 * retryable, nothing was accepted.
 */
export function mapInForce(followed: FollowedMap, nowMs: number, reportTtlMs: number): ShardMap {
  if (followed.current.version < followed.newestSeen) {
    throw new IngestError(
      'UNAVAILABLE',
      undefined,
      `shard map version ${followed.current.version} is older than version ${followed.newestSeen}, which is not loaded yet; retry`,
    );
  }
  const age = nowMs - followed.confirmedAtMs;
  if (age > reportTtlMs) {
    throw new IngestError('UNAVAILABLE', undefined, `the shard map was not confirmed for ${age} ms; retry`);
  }
  return followed.current;
}

/** The newest version a live ingest instance reports routing by at `nowMs` (0 when none is live). */
export function newestLiveVersion(reports: readonly IngestMapReport[], nowMs: number): number {
  return Math.max(0, ...liveReports(reports, nowMs).map((r) => r.mapVersion));
}

function report(store: ShardMapStore, options: ShardRoutingOptions, stored: StoredShardMap): Promise<void> {
  const value: IngestMapReport = {
    instance: options.instanceId,
    mapVersion: stored.map.version,
    expiresAtMs: options.nowMs() + options.reportTtlMs,
  };
  return store.report(value);
}
