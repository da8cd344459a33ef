export { decodeEntryBundle, encodeEntryBundle, MAX_ENTRY_SIZE } from './entry-bundle.js';
export {
  coseTreeHeadPath,
  entriesPath,
  formatTileIndex,
  nodesAtTileLevel,
  partialTiles,
  TILE_HEIGHT,
  TILE_WIDTH,
  type TileCoordinate,
  tilePath,
} from './tile-coordinate.js';
export { TileError, type TileErrorCode } from './tile-error.js';
export { packTile, perfectRoot, unpackTile } from './tile-hashes.js';
export {
  appendToTileLog,
  emptyTileLog,
  type TileFile,
  type TileLogState,
  tileLogFromPartials,
  tileLogRoot,
} from './tile-log.js';
export {
  consistencyFromTiles,
  inclusionFromTiles,
  type NodeInTile,
  nodeHashesFromTiles,
  type TileHashes,
  type TileProofPlan,
  tileOfNode,
  tilesForNodes,
} from './tile-nodes.js';
export { parseTileLogPath, type TileLogPath } from './tile-path.js';
