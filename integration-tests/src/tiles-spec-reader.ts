// A client of a C2SP tlog-tiles log written from the specs alone (c2sp.org/tlog-tiles,
// c2sp.org/tlog-checkpoint, RFC 9162 §2.1), sharing no code with MSI's writer in packages/core/src/tiles
// or its Merkle library: it reads a checkpoint, fetches tiles over HTTP (a missing partial tile
// falls back to the full one, as the spec allows logs to delete partial tiles) and recomputes tree
// heads from them. Used by tiles.int.test.ts to check what the stack serves.
import { createHash } from 'node:crypto';

const sha256 = (...parts: Uint8Array[]): Uint8Array => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return new Uint8Array(hash.digest());
};

export interface CheckpointBody {
  readonly origin: string;
  readonly size: number;
  readonly root: Uint8Array;
  readonly text: string;
}

/** The first three lines of a checkpoint note: origin, decimal size, base64 root hash. */
export function readCheckpointBody(note: string): CheckpointBody {
  const [origin = '', size = '', root = ''] = note.split('\n');
  if (!/^(0|[1-9][0-9]*)$/.test(size)) throw new Error(`checkpoint size ${JSON.stringify(size)}`);
  const hash = new Uint8Array(Buffer.from(root, 'base64'));
  if (hash.length !== 32) throw new Error('checkpoint root is not 32 bytes');
  return { origin, size: Number(size), root: hash, text: note };
}

/** `<N>` of a tile path: three-digit groups, all but the last with an `x` prefix. */
function indexPath(n: number): string {
  const digits = String(n).padStart(3 * Math.ceil(String(n).length / 3), '0');
  const groups = digits.match(/.{3}/g) ?? ['000'];
  return groups.map((g, i) => (i === groups.length - 1 ? g : `x${g}`)).join('/');
}

export class TilesReader {
  readonly #base: string;
  readonly #tiles = new Map<string, Uint8Array>();
  /** Every path fetched, with its HTTP status, in order. */
  readonly fetched: { path: string; status: number; cacheControl: string | null }[] = [];

  constructor(base: string) {
    this.#base = base.endsWith('/') ? base : `${base}/`;
  }

  async checkpoint(): Promise<CheckpointBody> {
    return readCheckpointBody(await (await this.#get('checkpoint')).text());
  }

  async #get(path: string): Promise<Response> {
    const response = await fetch(this.#base + path);
    this.fetched.push({ path, status: response.status, cacheControl: response.headers.get('cache-control') });
    return response;
  }

  /** Tile (level L, index N) of the tree of `size` leaves: its bottom row of hashes. */
  async tile(level: number, index: number, size: number): Promise<Uint8Array[]> {
    const nodes = Math.floor(size / 256 ** level);
    const width = Math.min(256, nodes - index * 256);
    if (width <= 0) throw new Error(`tile ${level}/${index} is not in a tree of ${size}`);
    const full = `tile/${level}/${indexPath(index)}`;
    const path = width === 256 ? full : `${full}.p/${width}`;
    let bytes = this.#tiles.get(path);
    if (bytes === undefined) {
      let response = await this.#get(path);
      if (response.status === 404 && width < 256) response = await this.#get(full);
      if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
      bytes = new Uint8Array(await response.arrayBuffer());
      this.#tiles.set(path, bytes);
    }
    if (bytes.length < width * 32) throw new Error(`${path}: ${bytes.length} bytes`);
    return Array.from({ length: width }, (_, i) => bytes.slice(i * 32, i * 32 + 32));
  }

  /** The entries of bundle `index` of a log of `size` entries (each a u16 length and its bytes). */
  async entries(index: number, size: number): Promise<Uint8Array[]> {
    const width = Math.min(256, size - index * 256);
    const full = `tile/entries/${indexPath(index)}`;
    let response = await this.#get(width === 256 ? full : `${full}.p/${width}`);
    if (response.status === 404 && width < 256) response = await this.#get(full);
    if (!response.ok) throw new Error(`entries ${index}: HTTP ${response.status}`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    const entries: Uint8Array[] = [];
    for (let at = 0; at < bytes.length && entries.length < width; ) {
      const length = ((bytes[at] ?? 0) << 8) | (bytes[at + 1] ?? 0);
      entries.push(bytes.slice(at + 2, at + 2 + length));
      at += 2 + length;
    }
    return entries;
  }

  /** The hash of the perfect node covering leaves [index·2^height, (index+1)·2^height), from tiles of `size`. */
  async node(height: number, index: number, size: number): Promise<Uint8Array> {
    if (height % 8 === 0) {
      const level = height / 8;
      const row = await this.tile(level, Math.floor(index / 256), size);
      const hash = row[index % 256];
      if (hash === undefined) throw new Error(`node ${height}/${index} is not in its tile`);
      return hash;
    }
    const left = await this.node(height - 1, 2 * index, size);
    const right = await this.node(height - 1, 2 * index + 1, size);
    return sha256(Uint8Array.of(1), left, right);
  }

  /**
   * RFC 9162 MTH of leaves [0, n) (n ≥ 1), from the tiles of the tree of `size` ≥ n leaves: the
   * largest perfect subtree on the left, the rest recursively on the right.
   */
  async treeHash(n: number, size: number, start = 0): Promise<Uint8Array> {
    const count = n - start;
    const height = Math.floor(Math.log2(count));
    if (2 ** height === count && start % count === 0) return this.node(height, start / count, size);
    let k = 1;
    while (k * 2 < count) k *= 2;
    const left = await this.treeHash(start + k, size, start);
    const right = await this.treeHash(n, size, start + k);
    return sha256(Uint8Array.of(1), left, right);
  }
}

/** RFC 9162 leaf hash. */
export const leafHash = (entry: Uint8Array): Uint8Array => sha256(Uint8Array.of(0), entry);
