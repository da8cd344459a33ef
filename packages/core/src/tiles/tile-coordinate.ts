import { TileError } from './tile-error.js';

/** Levels of the Merkle tree one tile spans (C2SP tlog-tiles: fixed at 8). */
export const TILE_HEIGHT = 8;
/** Hashes in the bottom row of a full tile, and entries in a full entry bundle. */
export const TILE_WIDTH = 2 ** TILE_HEIGHT;

/**
 * A tile: tile level L holds the hashes of tree level 8L, tile index N its 256 nodes
 * [256N, 256N + width); `width` < 256 for a partial tile (the rightmost of its level).
 * For entry bundles (`level` = -1 is never used: see {@link entriesPath}) the same index and width.
 */
export interface TileCoordinate {
  readonly level: number;
  readonly index: number;
  readonly width: number;
}

/** The tile path `tile/<L>/<N>[.p/<W>]` of a tile. */
export function tilePath(tile: TileCoordinate): string {
  return `tile/${tile.level}/${formatTileIndex(tile.index)}${partialSuffix(tile.width)}`;
}

/** The entry bundle path `tile/entries/<N>[.p/<W>]` of bundle `index` holding `width` entries. */
export function entriesPath(index: number, width: number): string {
  return `tile/entries/${formatTileIndex(index)}${partialSuffix(width)}`;
}

/**
 * The path `cose/tree-head/<N>` of the calendar's COSE tree head of size N (docs/PROOFS.md §16), N
 * written as a tile index. Not a tlog-tiles path: an MSI file beside the log, immutable like a tile.
 */
export function coseTreeHeadPath(size: number): string {
  return `cose/tree-head/${formatTileIndex(size)}`;
}

/**
 * A tile index as path elements: groups of three decimal digits, zero-padded, every group but the
 * last prefixed with `x` (1234067 → `x001/x234/067`, 5 → `005`).
 */
export function formatTileIndex(index: number): string {
  checkIndex(index);
  const groups: string[] = [];
  let rest = index;
  do {
    groups.unshift(String(rest % 1000).padStart(3, '0'));
    rest = Math.floor(rest / 1000);
  } while (rest > 0);
  return groups.map((group, i) => (i < groups.length - 1 ? `x${group}` : group)).join('/');
}

function partialSuffix(width: number): string {
  if (!Number.isInteger(width) || width < 1 || width > TILE_WIDTH) {
    throw new TileError('TILE_MALFORMED', `width: ${width} is not in 1…${TILE_WIDTH}`);
  }
  return width === TILE_WIDTH ? '' : `.p/${width}`;
}

function checkIndex(index: number): void {
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new TileError('TILE_PATH', `tile index: ${index} is not a non-negative safe integer`);
  }
}

/**
 * The number of nodes of tree level 8L (the bottom row of tile level L) that are perfect in a tree of
 * `size` leaves: floor(size / 256^L).
 */
export function nodesAtTileLevel(size: number, level: number): number {
  return Math.floor(size / TILE_WIDTH ** level);
}

/**
 * The tiles that hold a tree of `size` leaves at their widths for that size, one partial tile per
 * level whose node count is not a multiple of 256 (full tiles never change and are not listed):
 * what a reader needs besides full tiles, and what a writer keeps to append.
 */
export function partialTiles(size: number): TileCoordinate[] {
  const tiles: TileCoordinate[] = [];
  for (let level = 0; nodesAtTileLevel(size, level) > 0; level++) {
    const count = nodesAtTileLevel(size, level);
    const width = count % TILE_WIDTH;
    if (width > 0) tiles.push({ level, index: Math.floor(count / TILE_WIDTH), width });
  }
  return tiles;
}
