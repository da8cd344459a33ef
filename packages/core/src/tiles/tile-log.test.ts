import { MerkleTree, merkleRoot, portableHasher } from '@msi/merkle';
import { describe, expect, it } from 'vitest';
import { decodeEntryBundle } from './entry-bundle.js';
import { partialTiles, TILE_WIDTH, tilePath } from './tile-coordinate.js';
import { unpackTile } from './tile-hashes.js';
import {
  appendToTileLog,
  emptyTileLog,
  type TileFile,
  type TileLogState,
  tileLogFromPartials,
  tileLogRoot,
} from './tile-log.js';
import { consistencyFromTiles, inclusionFromTiles, type TileHashes } from './tile-nodes.js';

// Trees of 70,000 leaves hashed in JavaScript: seconds on a loaded machine.
const hasher = portableHasher();
const entry = (i: number): Uint8Array => new TextEncoder().encode(`round record ${i}`);
const entries = (from: number, to: number): Uint8Array[] =>
  Array.from({ length: to - from }, (_, i) => entry(from + i));

/** Appends in the batch sizes given; every file ever written, by path, and the final state. */
function grow(batches: readonly number[]): { state: TileLogState; written: Map<string, Uint8Array[]> } {
  let state = emptyTileLog();
  const written = new Map<string, Uint8Array[]>();
  for (const batch of batches) {
    const next = appendToTileLog(hasher, state, entries(state.size, state.size + batch));
    for (const file of next.files) written.set(file.path, [...(written.get(file.path) ?? []), file.bytes]);
    state = next.state;
  }
  return { state, written };
}

/** A reader's view: the newest bytes of every path, as tiles of the final size. */
function tilesOf(written: Map<string, Uint8Array[]>): TileHashes {
  return (path) => {
    const versions = written.get(path);
    const bytes = versions?.[versions.length - 1];
    if (bytes === undefined) return undefined;
    const width = path.includes('.p/') ? Number(path.split('.p/')[1]) : TILE_WIDTH;
    return unpackTile(bytes, width);
  };
}

describe('appendToTileLog', { timeout: 60_000 }, () => {
  it('writes the tiles of C2SP tlog-tiles for a tree of 256 entries: a full tile and its root above', () => {
    //   level 1:            [r]                 tile/1/000.p/1 (the root of the full tile below)
    //   level 0:  [h0 h1 … h255]                tile/0/000, tile/entries/000
    const { state, written } = grow([256]);
    expect([...written.keys()].sort()).toEqual(['tile/0/000', 'tile/1/000.p/1', 'tile/entries/000']);
    expect(tileLogRoot(hasher, state)).toEqual(merkleRoot(hasher, entries(0, 256)));
    expect(unpackTile(written.get('tile/1/000.p/1')?.[0] as Uint8Array, 1)[0]).toEqual(
      merkleRoot(hasher, entries(0, 256)),
    );
  });

  it('has the root of RFC 9162 at every size, whatever the batches', () => {
    for (const batches of [[1], [3, 4, 5], [255, 1, 1], [100, 200, 300, 65_536 - 600, 1, 7]]) {
      const { state } = grow(batches);
      expect(tileLogRoot(hasher, state)).toEqual(merkleRoot(hasher, entries(0, state.size)));
    }
    expect(tileLogRoot(hasher, emptyTileLog())).toEqual(hasher.emptyRoot());
  });

  it('never writes a path twice with different bytes, and every bundle holds its entries', () => {
    const { state, written } = grow([1, 2, 300, 5, 250, 70_000]);
    for (const [path, versions] of written) {
      for (const bytes of versions) expect(bytes, path).toEqual(versions[0]);
    }
    const bundle = written.get('tile/entries/001.p/47')?.[0] as Uint8Array;
    expect(decodeEntryBundle(bundle, 47)).toEqual(entries(256, 303));
    expect(state.size).toBe(70_558);
    expect(written.has('tile/2/000.p/1')).toBe(true);
  });

  it('marks full tiles and bundles, which supersede the partial ones of their index', () => {
    const files: TileFile[] = appendToTileLog(hasher, emptyTileLog(), entries(0, 300)).files;
    expect(files.filter((file) => file.full).map((file) => file.path)).toEqual([
      'tile/entries/000',
      'tile/0/000',
    ]);
  });
});

describe('tileLogFromPartials', { timeout: 60_000 }, () => {
  it('restores the state from the partial tiles and bundle the writer wrote', () => {
    const { state, written } = grow([70_000, 123]);
    const restored = tileLogFromPartials(
      state.size,
      (path) => written.get(path)?.at(-1),
      decodeEntryBundle(written.get('tile/entries/273.p/235')?.at(-1) as Uint8Array, 235),
    );
    expect(restored).toEqual(state);
    expect(partialTiles(state.size).map(tilePath)).toEqual([
      'tile/0/273.p/235',
      'tile/1/001.p/17',
      'tile/2/000.p/1',
    ]);
  });

  it('refuses a missing or a short partial tile', () => {
    const { state, written } = grow([300]);
    expect(() => tileLogFromPartials(state.size, () => undefined, state.bundle)).toThrow(
      expect.objectContaining({ code: 'TILE_MISSING' }),
    );
    expect(() =>
      tileLogFromPartials(state.size, (path) => written.get(path)?.[0]?.slice(1), state.bundle),
    ).toThrow(expect.objectContaining({ code: 'TILE_MALFORMED' }));
  });
});

describe('proofs from tiles', { timeout: 60_000 }, () => {
  it('gives the consistency and inclusion proofs of RFC 9162 from the tiles of the larger tree', () => {
    const size = 70_123;
    const { written } = grow([size]);
    const tree = MerkleTree.fromLeaves(hasher, entries(0, size));
    for (const [size1, size2] of [
      [1, size],
      [255, size],
      [256, size],
      [65_536, size],
      [70_000, size],
    ]) {
      const plan = consistencyFromTiles(hasher, size1 as number, size2 as number);
      expect(plan.prove(tilesOf(written))).toEqual(tree.consistencyProof(size1 as number));
    }
    for (const index of [0, 255, 256, 65_535, 70_122]) {
      expect(inclusionFromTiles(hasher, index, size).prove(tilesOf(written))).toEqual(
        tree.inclusionProof(index),
      );
    }
  });

  it('names the tile it lacks', () => {
    expect(() => consistencyFromTiles(hasher, 3, 300).prove(() => undefined)).toThrow(
      expect.objectContaining({ code: 'TILE_MISSING' }),
    );
  });
});
