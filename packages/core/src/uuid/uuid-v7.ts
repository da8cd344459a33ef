import { UuidError } from './uuid-error.js';

/** Size of a UUID in bytes. */
export const UUID_SIZE = 16;

const MAX_TIME_MS = 2 ** 48 - 1;

/**
 * Mints a UUIDv7 (RFC 9562 §5.7): `unix_ts_ms` (48 bits, big-endian) || version 0b0111 || `rand_a`
 * (12 bits) || variant 0b10 || `rand_b` (62 bits). Time and randomness are injected: `nowMs` is
 * milliseconds since the epoch, an integer in [0, 2^48); `random16` holds 16 random bytes, of which
 * bytes 6–15 fill `rand_a` and `rand_b` (their version and variant bits are overwritten).
 * Throws UuidError OUT_OF_RANGE.
 */
export function mintUuidV7(nowMs: number, random16: Uint8Array): Uint8Array {
  checkTime(nowMs);
  if (random16.length !== UUID_SIZE) {
    throw new UuidError('OUT_OF_RANGE', `randomness has ${random16.length} bytes, want ${UUID_SIZE}`);
  }
  const uuid = new Uint8Array(UUID_SIZE);
  writeUuidV7(uuid, 0, nowMs, random16, 0);
  return uuid;
}

/**
 * Writes the UUIDv7 that mintUuidV7(nowMs, random.subarray(randomAt, randomAt + 16)) returns into
 * `target` at `at`, without allocating (for clients that mint ids in bulk). Precondition: both ranges
 * are in bounds. Throws UuidError OUT_OF_RANGE for a time outside [0, 2^48).
 */
export function writeUuidV7(
  target: Uint8Array,
  at: number,
  nowMs: number,
  random: Uint8Array,
  randomAt: number,
): void {
  checkTime(nowMs);
  const high = Math.floor(nowMs / 2 ** 32);
  const low = nowMs - high * 2 ** 32;
  target[at] = high >>> 8;
  target[at + 1] = high & 0xff;
  target[at + 2] = low >>> 24;
  target[at + 3] = (low >>> 16) & 0xff;
  target[at + 4] = (low >>> 8) & 0xff;
  target[at + 5] = low & 0xff;
  target[at + 6] = 0x70 | ((random[randomAt + 6] ?? 0) & 0x0f);
  target[at + 7] = random[randomAt + 7] ?? 0;
  target[at + 8] = 0x80 | ((random[randomAt + 8] ?? 0) & 0x3f);
  for (let i = 9; i < UUID_SIZE; i++) target[at + i] = random[randomAt + i] ?? 0;
}

function checkTime(nowMs: number): void {
  if (!Number.isInteger(nowMs) || nowMs < 0 || nowMs > MAX_TIME_MS) {
    throw new UuidError('OUT_OF_RANGE', `time ${nowMs} ms is not in [0, 2^48)`);
  }
}

/** True when `bytes` is 16 bytes with version nibble 7 and variant 0b10. */
export function isUuidV7(bytes: Uint8Array): boolean {
  return bytes.length === UUID_SIZE && isUuidV7At(bytes, 0);
}

/**
 * True when the 16 bytes of `bytes` from `at` are a UUIDv7 (version nibble 7, variant 0b10): for ids
 * read in place from a larger message, with no view made per id.
 */
export function isUuidV7At(bytes: Uint8Array, at: number): boolean {
  return (
    at >= 0 &&
    at + UUID_SIZE <= bytes.length &&
    ((bytes[at + 6] ?? 0) & 0xf0) === 0x70 &&
    ((bytes[at + 8] ?? 0) & 0xc0) === 0x80
  );
}

/** The `unix_ts_ms` of a UUIDv7: milliseconds since the epoch. Throws UuidError NOT_V7. */
export function uuidV7Time(uuid: Uint8Array): number {
  if (!isUuidV7(uuid)) throw new UuidError('NOT_V7', 'not a UUIDv7');
  return uuidV7TimeAt(uuid, 0);
}

/**
 * The `unix_ts_ms` (the first 48 bits, big-endian) of the UUIDv7 at `at` of `bytes`, which the
 * caller checked is one (isUuidV7At).
 */
export function uuidV7TimeAt(bytes: Uint8Array, at: number): number {
  const high = (((bytes[at] as number) << 8) | (bytes[at + 1] as number)) >>> 0;
  const low =
    (((bytes[at + 2] as number) << 24) |
      ((bytes[at + 3] as number) << 16) |
      ((bytes[at + 4] as number) << 8) |
      (bytes[at + 5] as number)) >>>
    0;
  return high * 2 ** 32 + low;
}
