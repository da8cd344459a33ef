import { TILE_WIDTH } from './tile-coordinate.js';
import { TileError } from './tile-error.js';

/** The longest entry an entry bundle can hold: its length is a big-endian u16. */
export const MAX_ENTRY_SIZE = 0xffff;

/** An entry bundle: each entry as a big-endian u16 length, then its bytes (C2SP tlog-tiles). */
export function encodeEntryBundle(entries: readonly Uint8Array[]): Uint8Array {
  if (entries.length < 1 || entries.length > TILE_WIDTH) {
    throw new TileError(
      'ENTRY_MALFORMED',
      `an entry bundle holds 1…${TILE_WIDTH} entries, not ${entries.length}`,
    );
  }
  const total = entries.reduce((sum, entry) => sum + 2 + entry.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const [i, entry] of entries.entries()) {
    if (entry.length > MAX_ENTRY_SIZE) {
      throw new TileError(
        'ENTRY_MALFORMED',
        `entries[${i}]: ${entry.length} bytes, at most ${MAX_ENTRY_SIZE}`,
      );
    }
    out[offset] = entry.length >> 8;
    out[offset + 1] = entry.length & 0xff;
    out.set(entry, offset + 2);
    offset += 2 + entry.length;
  }
  return out;
}

/**
 * The entries of a bundle that must hold exactly `width` of them (hostile input: fetched or read
 * back). Throws ENTRY_MALFORMED when the bytes do not split into exactly `width` entries.
 */
export function decodeEntryBundle(bytes: Uint8Array, width: number): Uint8Array[] {
  const entries: Uint8Array[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (offset + 2 > bytes.length)
      throw new TileError('ENTRY_MALFORMED', `entry ${entries.length}: truncated length`);
    const length = ((bytes[offset] as number) << 8) | (bytes[offset + 1] as number);
    if (offset + 2 + length > bytes.length) {
      throw new TileError(
        'ENTRY_MALFORMED',
        `entry ${entries.length}: ${length} bytes, the bundle ends before`,
      );
    }
    entries.push(bytes.slice(offset + 2, offset + 2 + length));
    offset += 2 + length;
  }
  if (entries.length !== width) {
    throw new TileError('ENTRY_MALFORMED', `the bundle holds ${entries.length} entries, want ${width}`);
  }
  return entries;
}
