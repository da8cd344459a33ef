import { type IngestMapReport, type ShardMap, seedShardMap } from '@msi/core';
import { streamV1ShardMap } from '@msi/proto';
import { JetStreamApiCodes, JetStreamApiError, type JetStreamClient } from '@nats-io/jetstream';
import { type KV, Kvm } from '@nats-io/kv';
import { decodeReport, decodeShardMap, encodeReport, encodeShardMap } from './shard-map-codec.js';

/** The map as stored, with the KV revision every change must compare-and-set on. */
export interface StoredShardMap {
  readonly map: ShardMap;
  readonly revision: number;
}

/** A shard as its owning aggregator last reported it (KV key `status.<shard>`). */
export interface ShardStatusReport {
  readonly shard: number;
  readonly owner: string;
  readonly backlog: number;
  readonly sealLagMs: number;
  readonly updatedAtMs: number;
}

const MAP_KEY = 'map';
const REPORT_PREFIX = 'ingest.';
const STATUS_PREFIX = 'status.';
/** Versions of the map kept in the bucket (the audit trail); NATS keeps at most 64 per key. */
export const SHARD_MAP_HISTORY = 64;

/** True when a write lost its compare-and-set (someone else wrote the key first). */
export function isCasConflict(error: unknown): boolean {
  return (
    error instanceof JetStreamApiError &&
    (error.code === JetStreamApiCodes.StreamWrongLastSequence ||
      error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}

/**
 * KV `<P>_SHARDS`: key `map` holds the versioned shard map (written only by compare-and-set on its
 * revision; the key's history is the record of every version), `ingest.<id>` each ingest instance's
 * report of the version it routes by, `status.<shard>` each shard's status from its aggregator.
 */
export class ShardMapStore {
  readonly #kv: KV;

  private constructor(kv: KV) {
    this.#kv = kv;
  }

  /** Opens the bucket, creating it (history 64) when absent. */
  static async open(js: JetStreamClient, bucket: string, replicas: number): Promise<ShardMapStore> {
    const kvm = new Kvm(js);
    try {
      return new ShardMapStore(await kvm.create(bucket, { history: SHARD_MAP_HISTORY, replicas }));
    } catch (error: unknown) {
      // It exists with other settings (e.g. more replicas): use it as it is.
      if (!(error instanceof JetStreamApiError)) throw error;
      return new ShardMapStore(await kvm.open(bucket));
    }
  }

  /** The current map, or undefined when none was ever written. Throws MAP_MALFORMED for a bad one. */
  async read(): Promise<StoredShardMap | undefined> {
    const entry = await this.#kv.get(MAP_KEY);
    if (entry === null || entry.operation !== 'PUT') return undefined;
    return { map: decodeShardMap(entry.value), revision: entry.revision };
  }

  /**
   * The current map; when there is none, version 1 with `count` active shards (MSI_SHARDS) is created
   * first. Two processes seeding at once: one create wins, the other reads what it wrote.
   */
  async readOrSeed(count: number, nowMs: number): Promise<StoredShardMap> {
    const stored = await this.read();
    if (stored !== undefined) return stored;
    const map = seedShardMap(count, nowMs);
    try {
      return { map, revision: await this.#kv.create(MAP_KEY, encodeShardMap(map)) };
    } catch (error: unknown) {
      const again = await this.read();
      if (again === undefined) throw error;
      return again;
    }
  }

  /** Writes `map` if the key is still at `revision`; rejects with isCasConflict otherwise. */
  replace(map: ShardMap, revision: number): Promise<number> {
    return this.#kv.update(MAP_KEY, encodeShardMap(map), revision);
  }

  /** Every stored version still in the bucket's history, oldest first (an auditor's view). */
  async history(): Promise<ShardMap[]> {
    const maps: ShardMap[] = [];
    for await (const entry of await this.#kv.history({ key: MAP_KEY })) {
      if (entry.operation === 'PUT') maps.push(decodeShardMap(entry.value));
    }
    return maps;
  }

  async report(report: IngestMapReport): Promise<void> {
    await this.#kv.put(`${REPORT_PREFIX}${report.instance}`, encodeReport(report));
  }

  /** Every ingest instance's last report (expired ones included; callers judge liveness). */
  async reports(): Promise<IngestMapReport[]> {
    const values = await this.#values(REPORT_PREFIX);
    return values.map(decodeReport).filter((r): r is IngestMapReport => r !== undefined);
  }

  async removeReport(instance: string): Promise<void> {
    await this.#kv.delete(`${REPORT_PREFIX}${instance}`);
  }

  async writeStatus(status: ShardStatusReport): Promise<void> {
    const bytes = streamV1ShardMap.ShardStatus.encode({
      format: 1,
      shard: status.shard,
      owner: status.owner,
      backlog: BigInt(status.backlog),
      sealLagMs: BigInt(status.sealLagMs),
      updatedAtMs: BigInt(status.updatedAtMs),
    }).finish();
    await this.#kv.put(`${STATUS_PREFIX}${status.shard}`, bytes);
  }

  /** Every shard status written, by shard. */
  async statuses(): Promise<Map<number, ShardStatusReport>> {
    const found = new Map<number, ShardStatusReport>();
    for (const bytes of await this.#values(STATUS_PREFIX)) {
      try {
        const s = streamV1ShardMap.ShardStatus.decode(bytes);
        if (s.format !== 1) continue;
        found.set(s.shard, {
          shard: s.shard,
          owner: s.owner,
          backlog: Number(s.backlog),
          sealLagMs: Number(s.sealLagMs),
          updatedAtMs: Number(s.updatedAtMs),
        });
      } catch {
        // Not a status this version writes: left out.
      }
    }
    return found;
  }

  async #values(prefix: string): Promise<Uint8Array[]> {
    const keys: string[] = [];
    for await (const key of await this.#kv.keys(`${prefix}>`)) keys.push(key);
    const entries = await Promise.all(keys.map((key) => this.#kv.get(key)));
    return entries.flatMap((entry) => (entry !== null && entry.operation === 'PUT' ? [entry.value] : []));
  }
}
