import {
  CheckpointError,
  consistencyFromTiles,
  coseTreeHeadPath,
  inclusionFromTiles,
  parseCheckpointNote,
  TILE_WIDTH,
  type TileCoordinate,
  TileError,
  tilePath,
  unpackTile,
} from '@msi/core';
import type { MerkleHasher } from '@msi/merkle';
import { TileLogError } from './tile-log-error.js';

/** Longest a tile log's checkpoint or tile may be: a full tile is 8 KiB, a checkpoint a few. */
const MAX_BODY = 64 * 1024;

export interface TileLogClientOptions {
  /** The hasher of proofs computed from tiles (RFC 9162 SHA-256). */
  readonly hasher: MerkleHasher;
  /** Each GET gives up after this long, ms (default 30 s). */
  readonly timeoutMs?: number;
}

/**
 * A C2SP tlog-tiles log over HTTP: its newest checkpoint, and consistency proofs computed from its
 * tiles. Used by `msi extend --tiles`, `msi consistency --tiles` and the witness's tile feed. Nothing
 * it serves is trusted: callers verify the checkpoint's signature and the proof against both roots.
 */
export class TileLogClient {
  readonly #base: string;
  readonly #hasher: MerkleHasher;
  readonly #timeoutMs: number;

  constructor(base: string, options: TileLogClientOptions) {
    let url: URL;
    try {
      url = new URL(base.endsWith('/') ? base : `${base}/`);
    } catch {
      throw new TileLogError('URL_INVALID', `${JSON.stringify(base)} is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TileLogError('URL_INVALID', `${JSON.stringify(base)} must be an http(s) URL`);
    }
    this.#base = url.href;
    this.#hasher = options.hasher;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** The base URL, ending in `/`. */
  get base(): string {
    return this.#base;
  }

  /** The log's newest checkpoint note (its signature not checked here). */
  async checkpoint(): Promise<string> {
    const response = await this.#get('checkpoint');
    if (response === undefined) throw new TileLogError('UNAVAILABLE', `${this.#base}checkpoint: not found`);
    return new TextDecoder().decode(response);
  }

  /** The size a checkpoint note states; MALFORMED when it does not parse. */
  static sizeOf(note: string): number {
    try {
      return parseCheckpointNote(note).checkpoint.size;
    } catch (error: unknown) {
      if (error instanceof CheckpointError)
        throw new TileLogError('MALFORMED', `checkpoint: ${error.message}`);
      throw error;
    }
  }

  /**
   * The calendar's COSE tree head of `size` (`cose/tree-head/<N>`, docs/PROOFS.md §16), not checked
   * here: the COSE receipt made with it is verified as a whole, with the log's key.
   */
  async coseTreeHead(size: number): Promise<Uint8Array> {
    const path = coseTreeHeadPath(size);
    const bytes = await this.#get(path);
    if (bytes === undefined) {
      throw new TileLogError(
        'UNAVAILABLE',
        `${this.#base}${path}: not found (the calendar signs COSE tree heads from the sizes its tile writer writes)`,
      );
    }
    return bytes;
  }

  /** The RFC 9162 inclusion proof of leaf `index` in the tree of `size`, from the tiles of size. */
  async inclusion(index: number, size: number): Promise<Uint8Array[]> {
    const plan = inclusionFromTiles(this.#hasher, index, size);
    const tiles = new Map<string, Uint8Array[]>();
    for (const tile of plan.tiles) tiles.set(tilePath(tile), await this.#tile(tile));
    return plan.prove((path) => tiles.get(path));
  }

  /** The RFC 9162 consistency proof from size1 to size2 (1 ≤ size1 ≤ size2), from the tiles of size2. */
  async consistency(size1: number, size2: number): Promise<Uint8Array[]> {
    const plan = consistencyFromTiles(this.#hasher, size1, size2);
    const tiles = new Map<string, Uint8Array[]>();
    for (const tile of plan.tiles) tiles.set(tilePath(tile), await this.#tile(tile));
    return plan.prove((path) => tiles.get(path));
  }

  /** A tile's hashes; a partial tile that is gone is read from its full tile, as the spec allows. */
  async #tile(tile: TileCoordinate): Promise<Uint8Array[]> {
    let bytes = await this.#get(tilePath(tile));
    if (bytes === undefined && tile.width < TILE_WIDTH) {
      bytes = (await this.#get(tilePath({ ...tile, width: TILE_WIDTH })))?.slice(0, tile.width * 32);
    }
    if (bytes === undefined)
      throw new TileLogError('UNAVAILABLE', `${this.#base}${tilePath(tile)}: not found`);
    try {
      return unpackTile(bytes, tile.width);
    } catch (error: unknown) {
      if (!(error instanceof TileError)) throw error;
      throw new TileLogError('MALFORMED', `${this.#base}${tilePath(tile)}: ${error.message}`);
    }
  }

  /** The body of a path, or undefined for 404. */
  async #get(path: string): Promise<Uint8Array | undefined> {
    let response: Response;
    try {
      response = await fetch(this.#base + path, { signal: AbortSignal.timeout(this.#timeoutMs) });
    } catch (error: unknown) {
      throw new TileLogError(
        'UNAVAILABLE',
        `${this.#base}${path}: ${error instanceof Error ? error.message : error}`,
      );
    }
    if (response.status === 404) return undefined;
    if (!response.ok) throw new TileLogError('UNAVAILABLE', `${this.#base}${path}: HTTP ${response.status}`);
    const body = new Uint8Array(await response.arrayBuffer());
    if (body.length > MAX_BODY)
      throw new TileLogError('MALFORMED', `${this.#base}${path}: ${body.length} bytes`);
    return body;
  }
}
