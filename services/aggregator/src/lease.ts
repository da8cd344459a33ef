import { streamV1 } from '@msi/proto';

/**
 * Shard leases and instance heartbeats, pure. Both live in KV `<P>_LEASES` as streamV1.ShardLease:
 * `shard.<n>` names the aggregator owning shard n; `instance.<id>` is a heartbeat saying aggregator
 * <id> is alive. A value is live until its `expires_at_ms` (compared with the reader's clock); the KV
 * revision of `shard.<n>` is the fencing token, and every write to it is a compare-and-set on it.
 */
export interface LeaseValue {
  readonly owner: string;
  readonly expiresAtMs: number;
}

/** The key of shard `shard`'s lease. */
export const leaseKey = (shard: number): string => `shard.${shard}`;
/** The key of aggregator `id`'s heartbeat. */
export const instanceKey = (id: string): string => `instance.${id}`;
/** The prefix of every heartbeat key. */
export const INSTANCE_KEY_PREFIX = 'instance.';

/** The value written to release a lease: expired at once, so anyone may take it. */
export const RELEASED: LeaseValue = { owner: '', expiresAtMs: 0 };

export function encodeLease(value: LeaseValue): Uint8Array {
  return streamV1.ShardLease.encode({
    version: 1,
    owner: value.owner,
    expiresAtMs: BigInt(value.expiresAtMs),
  }).finish();
}

/** Decodes a lease value; undefined when it is not a version-1 ShardLease (treated as expired). */
export function decodeLease(bytes: Uint8Array): LeaseValue | undefined {
  try {
    const lease = streamV1.ShardLease.decode(bytes);
    if (lease.version !== 1) return undefined;
    const expiresAtMs = Number(lease.expiresAtMs);
    if (!Number.isSafeInteger(expiresAtMs)) return undefined;
    return { owner: lease.owner, expiresAtMs };
  } catch {
    return undefined;
  }
}

/** A KV entry as read: its bytes, revision and operation (a delete leaves a DEL/PURGE marker). */
export interface KvEntryView {
  readonly value: Uint8Array;
  readonly revision: number;
  readonly operation: 'PUT' | 'DEL' | 'PURGE';
}

/** What a process may do about one shard's lease. */
export type LeaseState =
  /** Nobody holds it: take it with create (revision 0) or with update on `revision`. */
  | { readonly kind: 'free'; readonly revision: number }
  /** This process holds it under `revision`: renew with update on it. */
  | { readonly kind: 'mine'; readonly revision: number }
  /** Another live process holds it. */
  | { readonly kind: 'held'; readonly owner: string; readonly expiresAtMs: number };

/**
 * Classifies shard lease `entry` (null when the key never existed) for process `me`, which believes it
 * holds the lease under `heldRevision` (undefined when it does not). A lease naming `me` under another
 * revision (a renewal whose reply was lost, or a previous run with the same id) counts as free: the
 * process takes it again by compare-and-set, which fences the older holder.
 */
export function classifyLease(
  entry: KvEntryView | null,
  me: string,
  heldRevision: number | undefined,
  nowMs: number,
): LeaseState {
  if (entry === null) return { kind: 'free', revision: 0 };
  if (entry.operation !== 'PUT') return { kind: 'free', revision: entry.revision };
  const lease = decodeLease(entry.value);
  if (lease === undefined || lease.expiresAtMs <= nowMs) return { kind: 'free', revision: entry.revision };
  if (lease.owner === me) {
    return entry.revision === heldRevision
      ? { kind: 'mine', revision: entry.revision }
      : { kind: 'free', revision: entry.revision };
  }
  return { kind: 'held', owner: lease.owner, expiresAtMs: lease.expiresAtMs };
}

/** The ids of the heartbeats still live at `nowMs`. */
export function liveInstances(heartbeats: readonly (KvEntryView | null)[], nowMs: number): string[] {
  const live: string[] = [];
  for (const entry of heartbeats) {
    if (entry === null || entry.operation !== 'PUT') continue;
    const beat = decodeLease(entry.value);
    if (beat !== undefined && beat.owner !== '' && beat.expiresAtMs > nowMs) live.push(beat.owner);
  }
  return live;
}
