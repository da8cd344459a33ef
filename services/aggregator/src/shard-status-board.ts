import type { Logger } from '@msi/service-kit';
import { every, type RunningLoop } from '@msi/service-kit';
import type { ShardMapStore } from '@msi/shard-map';

interface Seen {
  backlog: number;
  sealLagMs: number;
}

/**
 * Each owned shard's backlog and seal lag as its worker last saw them, written to KV `<P>_SHARDS`
 * (`status.<shard>`) every interval, for `msi shards` (ingest's GetShardMap reads them).
 */
export class ShardStatusBoard {
  readonly #seen = new Map<number, Seen>();
  readonly #store: ShardMapStore;
  readonly #owner: string;
  readonly #nowMs: () => number;
  readonly #log: Logger;
  #loop: RunningLoop | undefined;

  constructor(store: ShardMapStore, owner: string, nowMs: () => number, log: Logger) {
    this.#store = store;
    this.#owner = owner;
    this.#nowMs = nowMs;
    this.#log = log;
  }

  update(shard: number, status: { readonly backlog?: number; readonly sealLagMs?: number }): void {
    const seen = this.#seen.get(shard) ?? { backlog: 0, sealLagMs: 0 };
    if (status.backlog !== undefined) seen.backlog = status.backlog;
    if (status.sealLagMs !== undefined) seen.sealLagMs = status.sealLagMs;
    this.#seen.set(shard, seen);
  }

  start(intervalMs: number, owned: () => readonly number[]): void {
    this.#loop ??= every({
      intervalMs,
      waitFirst: true,
      run: async () => {
        const at = this.#nowMs();
        await Promise.all(
          owned().map((shard) => {
            const seen = this.#seen.get(shard) ?? { backlog: 0, sealLagMs: 0 };
            return this.#store.writeStatus({ shard, owner: this.#owner, ...seen, updatedAtMs: at });
          }),
        );
      },
      onError: (error) => this.#log.warn('writing shard statuses failed', { error }),
    });
  }

  stop(): Promise<void> {
    return this.#loop?.stop() ?? Promise.resolve();
  }
}
