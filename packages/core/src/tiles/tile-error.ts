import { CodedError } from '../error/index.js';

/**
 * Why a tile, an entry bundle or a tile path was refused (docs/PROOFS.md §14):
 * - TILE_PATH: a path that is not a tile, entry bundle or checkpoint path of C2SP tlog-tiles;
 * - TILE_MALFORMED: a tile whose length is not its width × 32 bytes, or a width outside 1…256;
 * - ENTRY_MALFORMED: an entry bundle that does not split into exactly its width of entries, or an
 *   entry longer than 65 535 bytes;
 * - TILE_CONFLICT: a tile already written with other bytes (tiles are immutable);
 * - TILE_MISSING: a tile that a computation needs was not given;
 * - ROOT_MISMATCH: the tiles do not hash to the checkpoint's root.
 */
export type TileErrorCode =
  | 'TILE_PATH'
  | 'TILE_MALFORMED'
  | 'ENTRY_MALFORMED'
  | 'TILE_CONFLICT'
  | 'TILE_MISSING'
  | 'ROOT_MISMATCH';

export class TileError extends CodedError<TileErrorCode> {}
