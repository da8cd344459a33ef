import * as crypto from 'node:crypto';

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
  if (!Number.isInteger(shards) || shards < 1 || shards > 0xffffffff) {
    throw new RangeError(`shardOf: shard count ${shards} is not an integer in [1, 2^32)`);
  }
  const input = Buffer.allocUnsafe(Buffer.byteLength(tenant, 'utf8') + 1 + dataImprint.length);
  const at = input.write(tenant, 'utf8');
  input[at] = 0;
  input.set(dataImprint, at + 1);
  return sha256(input).readUInt32BE(0) % shards;
}

/** One call into OpenSSL where Node has crypto.hash (>= 20.12), a Hash object otherwise. */
const sha256: (input: Buffer) => Buffer =
  typeof crypto.hash === 'function'
    ? (input) => crypto.hash('sha256', input, 'buffer')
    : (input) => crypto.createHash('sha256').update(input).digest();
