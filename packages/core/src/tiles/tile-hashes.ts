import { HASH_SIZE, type MerkleHasher } from '@msi/merkle';
import { TILE_WIDTH } from './tile-coordinate.js';
import { TileError } from './tile-error.js';

/** A tile's bytes: its hashes, 32 bytes each, left to right. */
export function packTile(hashes: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(hashes.length * HASH_SIZE);
  for (const [i, hash] of hashes.entries()) out.set(hash, i * HASH_SIZE);
  return out;
}

/**
 * The hashes of a tile that must hold exactly `width` of them (hostile input: fetched or read back).
 * Throws TILE_MALFORMED unless the tile is `width` × 32 bytes.
 */
export function unpackTile(bytes: Uint8Array, width: number): Uint8Array[] {
  if (width < 1 || width > TILE_WIDTH || bytes.length !== width * HASH_SIZE) {
    throw new TileError(
      'TILE_MALFORMED',
      `a tile of width ${width} has ${width * HASH_SIZE} bytes, not ${bytes.length}`,
    );
  }
  const hashes: Uint8Array[] = [];
  for (let i = 0; i < width; i++) hashes.push(bytes.slice(i * HASH_SIZE, (i + 1) * HASH_SIZE));
  return hashes;
}

/** The root of a perfect subtree over `hashes` (a power of two of them, adjacent, left to right). */
export function perfectRoot(hasher: MerkleHasher, hashes: readonly Uint8Array[]): Uint8Array {
  let row = packTile(hashes);
  for (let count = hashes.length; count > 1; count /= 2) row = hasher.hashPairs(row, count);
  return row.slice(0, HASH_SIZE);
}
