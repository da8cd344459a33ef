import { describe, expect, it } from 'vitest';
import { coseTreeHeadPath, entriesPath, formatTileIndex, partialTiles, tilePath } from './tile-coordinate.js';
import { parseTileLogPath } from './tile-path.js';

describe('tile paths (C2SP tlog-tiles)', () => {
  it('spells indices in groups of three digits, x on all but the last', () => {
    // The example index of the spec.
    expect(formatTileIndex(1_234_067)).toBe('x001/x234/067');
    expect(formatTileIndex(0)).toBe('000');
    expect(formatTileIndex(999)).toBe('999');
    expect(formatTileIndex(1000)).toBe('x001/000');
    expect(tilePath({ level: 0, index: 1_234_067, width: 8 })).toBe('tile/0/x001/x234/067.p/8');
    expect(tilePath({ level: 2, index: 5, width: 256 })).toBe('tile/2/005');
    expect(entriesPath(1_234_067, 8)).toBe('tile/entries/x001/x234/067.p/8');
  });

  it('reads back every path it writes', () => {
    for (const [level, index, width] of [
      [0, 0, 1],
      [0, 1_234_067, 8],
      [3, 999, 256],
      [1, 1000, 255],
    ]) {
      const tile = { level: level as number, index: index as number, width: width as number };
      expect(parseTileLogPath(tilePath(tile))).toEqual({ kind: 'tile', ...tile });
    }
    expect(parseTileLogPath('tile/entries/x001/000.p/3')).toEqual({ kind: 'entries', index: 1000, width: 3 });
    expect(parseTileLogPath('checkpoint')).toEqual({ kind: 'checkpoint' });
    for (const size of [1, 999, 1000, 1_234_067]) {
      expect(parseTileLogPath(coseTreeHeadPath(size))).toEqual({ kind: 'cose-tree-head', size });
    }
    expect(coseTreeHeadPath(1_234_067)).toBe('cose/tree-head/x001/x234/067');
  });

  it('refuses every other spelling', () => {
    for (const path of [
      '',
      '/checkpoint',
      'tile/0/5',
      'tile/0/0005',
      'tile/00/005',
      'tile/0/x000/005',
      'tile/0/001/002',
      'tile/0/005.p/0',
      'tile/0/005.p/256',
      'tile/0/005.p/08',
      'tile/0/005.p',
      'tile/0/../005',
      'tile/64/000',
      'tile/entries/',
      'tile/0/x9999999/000',
      'cose/tree-head/000',
      'cose/tree-head/5',
      'cose/tree-head/005.p/3',
      'cose/tree-head',
      'cose/005',
    ]) {
      expect(() => parseTileLogPath(path), path).toThrow(expect.objectContaining({ code: 'TILE_PATH' }));
    }
  });

  it('lists the partial tiles of a size, none for a multiple of 256', () => {
    expect(partialTiles(0)).toEqual([]);
    expect(partialTiles(5)).toEqual([{ level: 0, index: 0, width: 5 }]);
    expect(partialTiles(512)).toEqual([{ level: 1, index: 0, width: 2 }]);
  });
});
