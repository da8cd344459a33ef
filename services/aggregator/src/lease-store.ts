import { JetStreamApiCodes, JetStreamApiError, type JetStreamClient } from '@nats-io/jetstream';
import { type KV, Kvm } from '@nats-io/kv';
import type { KvEntryView } from './lease.js';

/**
 * The KV bucket `<P>_LEASES`, narrowed to what leases need. Writes to a lease are compare-and-set on
 * the key's revision; a lost race rejects with an error for which isCasConflict is true.
 */
export interface LeaseStore {
  /** The key's last entry, or null when it never existed. */
  read(key: string): Promise<KvEntryView | null>;
  /** Writes `value` if the key's last revision is `revision` (0: the key does not exist or is deleted). */
  write(key: string, value: Uint8Array, revision: number): Promise<number>;
  /** Writes `value` unconditionally (heartbeats). */
  put(key: string, value: Uint8Array): Promise<number>;
  /** Deletes the key if its last revision is `revision`. */
  remove(key: string, revision: number): Promise<void>;
  /** The keys starting with `prefix`, e.g. "instance.". */
  keys(prefix: string): Promise<string[]>;
}

/** True when a write lost its compare-and-set (someone else wrote the key first). */
export function isCasConflict(error: unknown): boolean {
  return (
    error instanceof JetStreamApiError &&
    (error.code === JetStreamApiCodes.StreamWrongLastSequence ||
      error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}

/** Opens the leases bucket, creating it (history 1, no TTL: leases carry their own expiry) if absent. */
export async function openLeaseStore(
  js: JetStreamClient,
  bucket: string,
  replicas: number,
): Promise<LeaseStore> {
  const kvm = new Kvm(js);
  let kv: KV;
  try {
    kv = await kvm.create(bucket, { history: 1, replicas });
  } catch (error) {
    // It exists with other settings (e.g. more replicas): use it as it is.
    if (!(error instanceof JetStreamApiError)) throw error;
    kv = await kvm.open(bucket);
  }
  return {
    async read(key) {
      const entry = await kv.get(key);
      if (entry === null) return null;
      return { value: entry.value, revision: entry.revision, operation: entry.operation };
    },
    write: (key, value, revision) =>
      revision === 0 ? kv.create(key, value) : kv.update(key, value, revision),
    put: (key, value) => kv.put(key, value),
    remove: (key, revision) => kv.delete(key, { previousSeq: revision }),
    async keys(prefix) {
      const found: string[] = [];
      for await (const key of await kv.keys(`${prefix}>`)) found.push(key);
      return found;
    },
  };
}
