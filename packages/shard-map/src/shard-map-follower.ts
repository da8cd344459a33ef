import type { ShardMap } from '@msi/core';
import { every, type Logger, type RunningLoop } from '@msi/service-kit';
import type { ShardMapStore, StoredShardMap } from './shard-map-store.js';

export interface ShardMapFollowerOptions {
  readonly store: ShardMapStore;
  /** MSI_SHARDS: the active count of version 1 when no map exists yet. */
  readonly seedCount: number;
  /** How often the map is read again. */
  readonly pollMs: number;
  readonly nowMs: () => number;
  readonly log: Logger;
  /** Called with each newer version adopted (not with the first one). */
  readonly onAdopt?: (map: ShardMap, previous: ShardMap) => void;
  /** Runs after every successful read (ingest: report the version, retire drained shards). */
  readonly afterRead?: (stored: StoredShardMap) => Promise<void>;
}

/**
 * Follows the shard map in KV: reads it at start (seeding version 1 when there is none) and every
 * `pollMs` (or at once on `refresh`). Versions only move forward: a read older than the version held
 * (a restored or lagging server) is ignored and logged, never adopted. `newestSeen` may be raised by
 * anyone who learns of a newer version (another instance's report); until that version is loaded,
 * `isBehind` is true.
 */
export class ShardMapFollower {
  readonly #o: ShardMapFollowerOptions;
  #current: StoredShardMap;
  #confirmedAtMs: number;
  #newestSeen: number;
  #loop: RunningLoop | undefined;

  private constructor(options: ShardMapFollowerOptions, first: StoredShardMap) {
    this.#o = options;
    this.#current = first;
    this.#confirmedAtMs = options.nowMs();
    this.#newestSeen = first.map.version;
  }

  /**
   * Loads the map (seeding it if absent; a read that fails — e.g. a bucket just created on a cluster
   * whose replicas do not answer direct gets yet — is tried again, up to `START_ATTEMPTS` times), then
   * follows it.
   */
  static async start(options: ShardMapFollowerOptions): Promise<ShardMapFollower> {
    const first = await readAtStart(options);
    const follower = new ShardMapFollower(options, first);
    await options.afterRead?.(first);
    follower.#loop = every({
      intervalMs: options.pollMs,
      waitFirst: true,
      run: () => follower.#read(),
      onError: (error) => options.log.warn('reading the shard map failed; retrying', { error }),
    });
    return follower;
  }

  /** The newest version loaded. */
  get current(): ShardMap {
    return this.#current.map;
  }

  /** Its KV revision (the compare-and-set token of the next change). */
  get revision(): number {
    return this.#current.revision;
  }

  /** When the map was last read successfully (whether or not it changed), epoch ms. */
  get confirmedAtMs(): number {
    return this.#confirmedAtMs;
  }

  /** The newest version known to exist. */
  get newestSeen(): number {
    return this.#newestSeen;
  }

  /** Whether a newer version than the one loaded is known to exist. */
  get isBehind(): boolean {
    return this.#current.map.version < this.#newestSeen;
  }

  /** Someone reported version `version`: when it is newer, read the map at once. */
  saw(version: number): void {
    if (version <= this.#newestSeen) return;
    this.#newestSeen = version;
    this.#loop?.wake();
  }

  /** Reads the map now (e.g. after a change made through this process). */
  refresh(): void {
    this.#loop?.wake();
  }

  /** Adopts `stored` if it is newer than the version held (used after a change made here). */
  adopt(stored: StoredShardMap): void {
    const previous = this.#current.map;
    if (stored.map.version <= previous.version) return;
    this.#current = stored;
    this.#newestSeen = Math.max(this.#newestSeen, stored.map.version);
    this.#o.log.info('shard map version adopted', {
      version: stored.map.version,
      activeCount: stored.map.activeCount,
      served: stored.map.shards.length,
      changedBy: stored.map.changedBy,
    });
    this.#o.onAdopt?.(stored.map, previous);
  }

  stop(): Promise<void> {
    return this.#loop?.stop() ?? Promise.resolve();
  }

  async #read(): Promise<void> {
    const stored = await this.#o.store.read();
    if (stored === undefined) {
      this.#o.log.error('the shard map is gone from KV; routing by the version held', {
        version: this.#current.map.version,
      });
      return;
    }
    if (stored.map.version < this.#current.map.version) {
      this.#o.log.error('KV holds an older shard map than the one held; ignoring it', {
        held: this.#current.map.version,
        read: stored.map.version,
      });
      return;
    }
    this.#confirmedAtMs = this.#o.nowMs();
    this.adopt(stored);
    await this.#o.afterRead?.(this.#current);
  }
}

const START_ATTEMPTS = 10;
const START_RETRY_MS = 500;

async function readAtStart(options: ShardMapFollowerOptions): Promise<StoredShardMap> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await options.store.readOrSeed(options.seedCount, options.nowMs());
    } catch (error: unknown) {
      if (attempt >= START_ATTEMPTS) throw error;
      options.log.warn('reading the shard map failed; retrying', { attempt, error });
      await new Promise((resolve) => setTimeout(resolve, START_RETRY_MS));
    }
  }
}
