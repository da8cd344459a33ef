import { CompactRange, HASH_SIZE, type MerkleHasher, ProofError } from '@msi/merkle';
import {
  ByteReader,
  ByteWriter,
  EncodingError,
  readHeader,
  recordHeader,
  writeHeader,
} from '../encoding/index.js';
import { FollowerError } from './follower-error.js';
import type { FollowerState } from './follower-state.js';

/**
 * `"MSIF" || 0x01`: the header of a stored follower state. A storage format of the services, never
 * hashed, signed or sent: a later version may replace it, and a reader then refuses this one.
 */
const FOLLOWER_HEADER = recordHeader('MSIF', 1);

/** Presence bits of the nullable fields. */
const HAS_CLOSED_AT = 1;
const HAS_SEALS_END = 2;
const HAS_INTERVAL = 4;

/** A compact range's hashes, left to right, in one byte string (32 bytes each), for storage. */
export function packCompactRange(range: CompactRange): Uint8Array {
  const hashes = range.hashes();
  const packed = new Uint8Array(hashes.length * HASH_SIZE);
  for (const [i, hash] of hashes.entries()) packed.set(hash, i * HASH_SIZE);
  return packed;
}

/**
 * The compact range of `size` leaves from {@link packCompactRange}'s bytes (read back from storage).
 * Throws STATE_MALFORMED unless the bytes are popcount(size) hashes of 32 bytes.
 */
export function unpackCompactRange(hasher: MerkleHasher, size: number, packed: Uint8Array): CompactRange {
  if (packed.length % HASH_SIZE !== 0) {
    throw new FollowerError('STATE_MALFORMED', `compact range: ${packed.length} bytes are not whole hashes`);
  }
  const hashes: Uint8Array[] = [];
  for (let offset = 0; offset < packed.length; offset += HASH_SIZE) {
    hashes.push(packed.slice(offset, offset + HASH_SIZE));
  }
  try {
    return CompactRange.fromState(hasher, size, hashes);
  } catch (error: unknown) {
    if (!(error instanceof ProofError)) throw error;
    throw new FollowerError('STATE_MALFORMED', `compact range: ${error.message}`, { cause: error });
  }
}

/** The follower state as bytes, for storage (unpackFollowerState reads them back). */
export function packFollowerState(state: FollowerState): Uint8Array {
  const flags =
    (state.lastClosedAt === null ? 0 : HAS_CLOSED_AT) |
    (state.sealsEnd === null ? 0 : HAS_SEALS_END) |
    (state.intervalMs === null ? 0 : HAS_INTERVAL);
  const w = new ByteWriter(64 + state.origin.length * 3);
  writeHeader(w, FOLLOWER_HEADER);
  w.u8(flags).u64(state.size);
  w.u64(state.lastClosedAt ?? 0)
    .u64(state.sealsEnd ?? 0)
    .u32(state.intervalMs ?? 0);
  w.str(state.origin).bytes(packCompactRange(state.range));
  return w.finish();
}

/** The follower state from {@link packFollowerState}'s bytes. Throws STATE_MALFORMED. */
export function unpackFollowerState(hasher: MerkleHasher, bytes: Uint8Array): FollowerState {
  try {
    const r = new ByteReader(bytes);
    readHeader(r, FOLLOWER_HEADER);
    const flags = r.u8('flags');
    const size = r.u64('size');
    const lastClosedAt = r.u64('last_closed_at');
    const sealsEnd = r.u64('seals_end');
    const intervalMs = r.u32('interval_ms');
    const origin = r.str('origin');
    const range = unpackCompactRange(hasher, size, r.bytes('range', r.remaining));
    if (flags > (HAS_CLOSED_AT | HAS_SEALS_END | HAS_INTERVAL)) {
      throw new FollowerError('STATE_MALFORMED', `flags: unknown bits in ${flags}`);
    }
    return {
      size,
      range,
      lastClosedAt: flags & HAS_CLOSED_AT ? lastClosedAt : null,
      sealsEnd: flags & HAS_SEALS_END ? sealsEnd : null,
      intervalMs: flags & HAS_INTERVAL ? intervalMs : null,
      origin,
    };
  } catch (error: unknown) {
    if (!(error instanceof EncodingError)) throw error;
    throw new FollowerError('STATE_MALFORMED', `follower state: ${error.message}`, { cause: error });
  }
}
