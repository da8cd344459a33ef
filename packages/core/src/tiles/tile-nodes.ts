import {
  assembleProof,
  consistencyNodes,
  inclusionNodes,
  type MerkleHasher,
  type NodeAddress,
  nodesToFetch,
} from '@msi/merkle';
import {
  nodesAtTileLevel,
  TILE_HEIGHT,
  TILE_WIDTH,
  type TileCoordinate,
  tilePath,
} from './tile-coordinate.js';
import { TileError } from './tile-error.js';
import { perfectRoot } from './tile-hashes.js';

/** Where a perfect node of a tree of `size` leaves lives: its tile (at that size) and its hashes there. */
export interface NodeInTile {
  readonly tile: TileCoordinate;
  /** The node is the perfect root of the tile's hashes [first, first + count). */
  readonly first: number;
  readonly count: number;
}

/**
 * The tile of a perfect node (level h, index i) in a tree of `size` leaves: tile level floor(h/8),
 * whose bottom row holds the 2^(h mod 8) nodes under it. Precondition: the node is perfect.
 */
export function tileOfNode(node: NodeAddress, size: number): NodeInTile {
  const level = Math.floor(node.level / TILE_HEIGHT);
  const count = 2 ** (node.level % TILE_HEIGHT);
  const bottom = node.index * count;
  const index = Math.floor(bottom / TILE_WIDTH);
  const width = Math.min(TILE_WIDTH, nodesAtTileLevel(size, level) - index * TILE_WIDTH);
  return { tile: { level, index, width }, first: bottom - index * TILE_WIDTH, count };
}

/** The distinct tiles holding `nodes` (perfect, in a tree of `size`), in first-needed order. */
export function tilesForNodes(nodes: readonly NodeAddress[], size: number): TileCoordinate[] {
  const tiles = new Map<string, TileCoordinate>();
  for (const node of nodes) {
    const { tile } = tileOfNode(node, size);
    tiles.set(tilePath(tile), tile);
  }
  return [...tiles.values()];
}

/** A tile's hashes by its path (exactly its width of them), or undefined when it was not fetched. */
export type TileHashes = (path: string) => readonly Uint8Array[] | undefined;

/** The hashes of perfect `nodes` of a tree of `size` from its tiles. Throws TILE_MISSING. */
export function nodeHashesFromTiles(
  hasher: MerkleHasher,
  nodes: readonly NodeAddress[],
  size: number,
  tiles: TileHashes,
): Uint8Array[] {
  return nodes.map((node) => {
    const { tile, first, count } = tileOfNode(node, size);
    const hashes = tiles(tilePath(tile));
    if (hashes === undefined || hashes.length !== tile.width) {
      throw new TileError(
        'TILE_MISSING',
        `${tilePath(tile)} is needed for node (${node.level}, ${node.index})`,
      );
    }
    return perfectRoot(hasher, hashes.slice(first, first + count));
  });
}

/** What a proof from tiles needs: the tiles to fetch, then the proof from their hashes. */
export interface TileProofPlan {
  readonly tiles: readonly TileCoordinate[];
  prove(tiles: TileHashes): Uint8Array[];
}

/** The RFC 9162 consistency proof from `size1` to `size2` (1 ≤ size1 ≤ size2), from tiles of size2. */
export function consistencyFromTiles(hasher: MerkleHasher, size1: number, size2: number): TileProofPlan {
  return planProof(hasher, consistencyNodes(size1, size2), size2);
}

/** The RFC 9162 inclusion proof of leaf `index` in the tree of `size`, from its tiles. */
export function inclusionFromTiles(hasher: MerkleHasher, index: number, size: number): TileProofPlan {
  return planProof(hasher, inclusionNodes(index, size), size);
}

function planProof(hasher: MerkleHasher, nodes: readonly NodeAddress[], size: number): TileProofPlan {
  const perfect = nodesToFetch(nodes, size);
  return {
    tiles: tilesForNodes(perfect, size),
    prove: (tiles) => assembleProof(hasher, nodes, size, nodeHashesFromTiles(hasher, perfect, size, tiles)),
  };
}
