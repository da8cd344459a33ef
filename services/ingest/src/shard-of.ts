import * as crypto from 'node:crypto';

/**
 * SHA-256 of each message, packed: digest i at [32 i, 32 i + 32). main.ts gives the WASM batch kernel
 * (four messages per SIMD pass); sha256EachByNode is the fallback.
 */
export type Sha256Many = (messages: readonly Uint8Array[]) => Uint8Array;

/**
 * The shard of an event: the first 4 bytes (big-endian u32) of
 * SHA-256(tenant as UTF-8 || 0x00 || data imprint bytes), modulo `shards`.
 *
 * Stable across processes, restarts and versions (it is part of where an event is published, so it
 * MUST NOT change while events are in flight); the 0x00 separator keeps (tenant, imprint) pairs from
 * colliding by concatenation (a tenant never contains 0x00). Preconditions: `shards` is an integer in
 * [1, 2^32); `dataImprint` is the event's validated `data` imprint (algorithm id || digest).
 */
export function shardOf(tenant: string, dataImprint: Uint8Array, shards: number): number {
  return shardsOf(tenant, [dataImprint], shards, sha256EachByNode)[0] as number;
}

/**
 * shardOf of each imprint of one tenant, with their hashes taken in one call of `sha256Many` (a
 * request's events are hashed together, as their leaf hashes are).
 */
export function shardsOf(
  tenant: string,
  dataImprints: readonly Uint8Array[],
  shards: number,
  sha256Many: Sha256Many,
): number[] {
  if (!Number.isInteger(shards) || shards < 1 || shards > 0xffffffff) {
    throw new RangeError(`shardOf: shard count ${shards} is not an integer in [1, 2^32)`);
  }
  const prefix = Buffer.from(`${tenant}\u0000`, 'utf8');
  const inputs = dataImprints.map((imprint) => {
    const input = Buffer.allocUnsafe(prefix.length + imprint.length);
    prefix.copy(input, 0);
    input.set(imprint, prefix.length);
    return input;
  });
  const digests = sha256Many(inputs);
  const view = new DataView(digests.buffer, digests.byteOffset, digests.byteLength);
  return inputs.map((_, i) => view.getUint32(32 * i) % shards);
}

/** Sha256Many by node:crypto, one call into OpenSSL per message (crypto.hash where Node has it, >= 20.12). */
export const sha256EachByNode: Sha256Many = (messages) => {
  const out = new Uint8Array(32 * messages.length);
  messages.forEach((message, i) => {
    out.set(sha256(message), 32 * i);
  });
  return out;
};

const sha256: (input: Uint8Array) => Uint8Array =
  typeof crypto.hash === 'function'
    ? (input) => crypto.hash('sha256', input, 'buffer')
    : (input) => crypto.createHash('sha256').update(input).digest();
