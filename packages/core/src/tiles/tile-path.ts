import { TILE_WIDTH } from './tile-coordinate.js';
import { TileError } from './tile-error.js';

/** A parsed request path of a tlog-tiles log (hostile input: from an HTTP request). */
export type TileLogPath =
  | { readonly kind: 'checkpoint' }
  | { readonly kind: 'tile'; readonly level: number; readonly index: number; readonly width: number }
  | { readonly kind: 'entries'; readonly index: number; readonly width: number }
  | { readonly kind: 'cose-tree-head'; readonly size: number };

/** Tile levels a path may name: a tree of at most 2^53 leaves has at most 7 tile levels. */
const MAX_TILE_LEVEL = 63;

/**
 * Parses `checkpoint`, `tile/<L>/<N>[.p/<W>]`, `tile/entries/<N>[.p/<W>]` or MSI's
 * `cose/tree-head/<N>` (N ≥ 1; docs/PROOFS.md §16) (no leading `/`), in
 * their one canonical spelling (no leading zeros in L or W, three digits per index group, `x` on
 * every group but the last, no group `x000` first). Throws TILE_PATH for anything else.
 */
export function parseTileLogPath(path: string): TileLogPath {
  if (path === 'checkpoint') return { kind: 'checkpoint' };
  const parts = path.split('/');
  if (parts[0] === 'cose' && parts[1] === 'tree-head' && parts.length >= 3) {
    const { index: size, width } = parseIndexAndWidth(parts.slice(2), path);
    if (width !== TILE_WIDTH || size < 1) throw refuse(path);
    return { kind: 'cose-tree-head', size };
  }
  if (parts[0] !== 'tile' || parts.length < 3) throw refuse(path);
  const [, levelText = '', ...rest] = parts;
  const { index, width } = parseIndexAndWidth(rest, path);
  if (levelText === 'entries') return { kind: 'entries', index, width };
  const level = parseSmall(levelText, path);
  if (level > MAX_TILE_LEVEL) throw refuse(path);
  return { kind: 'tile', level, index, width };
}

function parseIndexAndWidth(parts: readonly string[], path: string): { index: number; width: number } {
  let groups = parts;
  let width = TILE_WIDTH;
  const last = parts[parts.length - 1] ?? '';
  if (parts.length >= 2 && parts[parts.length - 2]?.endsWith('.p')) {
    width = parseSmall(last, path);
    if (width < 1 || width >= TILE_WIDTH) throw refuse(path);
    const group = parts[parts.length - 2] ?? '';
    groups = [...parts.slice(0, -2), group.slice(0, -2)];
  }
  let index = 0;
  for (const [i, group] of groups.entries()) {
    const digits = i < groups.length - 1 ? (group.startsWith('x') ? group.slice(1) : '') : group;
    if (!/^[0-9]{3}$/.test(digits) || (i === 0 && groups.length > 1 && digits === '000')) throw refuse(path);
    index = index * 1000 + Number(digits);
  }
  if (!Number.isSafeInteger(index)) throw refuse(path);
  return { index, width };
}

function parseSmall(text: string, path: string): number {
  if (!/^(0|[1-9][0-9]{0,3})$/.test(text)) throw refuse(path);
  return Number(text);
}

function refuse(path: string): TileError {
  return new TileError('TILE_PATH', `${JSON.stringify(path.slice(0, 200))} is not a tlog-tiles path`);
}
