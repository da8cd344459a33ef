import type { MerkleHasher } from '@msi/merkle';
import { encodeEntryBundle } from './entry-bundle.js';
import { entriesPath, nodesAtTileLevel, partialTiles, TILE_WIDTH, tilePath } from './tile-coordinate.js';
import { TileError } from './tile-error.js';
import { packTile, perfectRoot, unpackTile } from './tile-hashes.js';

/**
 * What a tile writer keeps of a log of `size` entries to append to it: the rightmost, partial tile
 * of every level and the partial entry bundle (full tiles never change). Immutable.
 */
export interface TileLogState {
  readonly size: number;
  /** Per tile level L (index L): the hashes of its partial tile, nodesAtTileLevel(size, L) mod 256 of them. */
  readonly partials: readonly (readonly Uint8Array[])[];
  /** The entries of the partial entry bundle: size mod 256 of them. */
  readonly bundle: readonly Uint8Array[];
}

/** A file of the log to write: a tile or an entry bundle, immutable once written. */
export interface TileFile {
  readonly path: string;
  readonly bytes: Uint8Array;
  /** A full tile or bundle: the partial ones of its index (`<path>.p/…`) are superseded by it. */
  readonly full: boolean;
}

/** The log before its first entry. */
export function emptyTileLog(): TileLogState {
  return { size: 0, partials: [], bundle: [] };
}

/**
 * Appends `entries` (entry i becomes leaf size + i, its leaf hash H(0x00 || entry)) and returns the
 * new state with the files to write for the new size, entry bundles first, then tiles level by level
 * upwards. Pure: the caller writes the files, then the checkpoint of the new size.
 */
export function appendToTileLog(
  hasher: MerkleHasher,
  state: TileLogState,
  entries: readonly Uint8Array[],
): { state: TileLogState; files: TileFile[] } {
  if (entries.length === 0) return { state, files: [] };
  const files: TileFile[] = [];
  const bundleFirst = Math.floor(state.size / TILE_WIDTH);
  const bundle = chunked([...state.bundle, ...entries], bundleFirst, (index, chunk) =>
    files.push({
      path: entriesPath(index, chunk.length),
      bytes: encodeEntryBundle(chunk),
      full: chunk.length === TILE_WIDTH,
    }),
  );
  const partials = [...state.partials];
  let added = entries.map((entry) => hasher.hashLeaf(entry));
  for (let level = 0; added.length > 0; level++) {
    const first = Math.floor(nodesAtTileLevel(state.size, level) / TILE_WIDTH);
    const completed: Uint8Array[] = [];
    partials[level] = chunked([...(partials[level] ?? []), ...added], first, (index, chunk) => {
      files.push({
        path: tilePath({ level, index, width: chunk.length }),
        bytes: packTile(chunk),
        full: chunk.length === TILE_WIDTH,
      });
      if (chunk.length === TILE_WIDTH) completed.push(perfectRoot(hasher, chunk));
    });
    added = completed;
  }
  return { state: { size: state.size + entries.length, partials, bundle }, files };
}

/** Calls `emit` for each chunk of 256 (the last may be shorter) and returns that last partial chunk. */
function chunked<T>(
  row: readonly T[],
  firstIndex: number,
  emit: (index: number, chunk: readonly T[]) => void,
): T[] {
  for (let offset = 0; offset < row.length; offset += TILE_WIDTH) {
    emit(firstIndex + offset / TILE_WIDTH, row.slice(offset, offset + TILE_WIDTH));
  }
  return row.slice(row.length - (row.length % TILE_WIDTH));
}

/**
 * The RFC 9162 root of the log: its partial tiles, read as the compact range of the tree (the d
 * nodes of partial tile L, for d = nodesAtTileLevel mod 256, are the perfect subtrees of the bits of
 * d at heights 8L…8L+7), folded right to left. H("") for the empty log.
 */
export function tileLogRoot(hasher: MerkleHasher, state: TileLogState): Uint8Array {
  const subtrees: Uint8Array[] = [];
  for (let level = state.partials.length - 1; level >= 0; level--) {
    const hashes = state.partials[level] ?? [];
    let offset = 0;
    for (let bit = TILE_WIDTH / 2; bit >= 1; bit /= 2) {
      if ((hashes.length & bit) === 0) continue;
      subtrees.push(perfectRoot(hasher, hashes.slice(offset, offset + bit)));
      offset += bit;
    }
  }
  let root = subtrees.pop();
  if (root === undefined) return hasher.emptyRoot();
  for (let subtree = subtrees.pop(); subtree !== undefined; subtree = subtrees.pop()) {
    root = hasher.hashChildren(subtree, root);
  }
  return root;
}

/**
 * The state of a log of `size` entries from its partial tiles (the bytes of each coordinate of
 * partialTiles(size), read back from storage) and the entries of its partial bundle. Throws
 * TILE_MISSING for a partial tile not given, TILE_MALFORMED for one of the wrong length.
 */
export function tileLogFromPartials(
  size: number,
  tileBytes: (path: string) => Uint8Array | undefined,
  bundle: readonly Uint8Array[],
): TileLogState {
  if (bundle.length !== size % TILE_WIDTH) {
    throw new TileError(
      'TILE_MISSING',
      `the partial bundle holds ${bundle.length} entries, want ${size % TILE_WIDTH}`,
    );
  }
  const partials: Uint8Array[][] = [];
  for (let level = 0; nodesAtTileLevel(size, level) > 0; level++) partials.push([]);
  for (const tile of partialTiles(size)) {
    const path = tilePath(tile);
    const bytes = tileBytes(path);
    if (bytes === undefined) throw new TileError('TILE_MISSING', `${path} is needed for a log of ${size}`);
    partials[tile.level] = unpackTile(bytes, tile.width);
  }
  return { size, partials, bundle: [...bundle] };
}
