import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { bytesEqual, TileError } from '@msi/core';

/**
 * A tlog-tiles log in a directory, as a static HTTP server serves it: `checkpoint` (the only file
 * that changes) and the immutable `tile/…` files. Written only by the tile writer.
 */
export class TileDirectory {
  readonly #root: string;

  constructor(root: string) {
    this.#root = root;
  }

  /** The bytes of a file of the log, or undefined when it does not exist. */
  async read(path: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(join(this.#root, path)));
    } catch (error: unknown) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /**
   * Writes an immutable file: created with its full content at once (a temporary file hard-linked
   * into place, so nothing ever sees it half-written and nothing already there is replaced). A file
   * already there with the same bytes is left as it is (a step repeated after a crash); with other
   * bytes it is refused with TILE_CONFLICT: a tile once served never changes.
   */
  async writeImmutable(path: string, bytes: Uint8Array): Promise<void> {
    const target = join(this.#root, path);
    await mkdir(dirname(target), { recursive: true });
    const temporary = `${target}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(temporary, bytes);
    try {
      await link(temporary, target);
    } catch (error: unknown) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const existing = await this.read(path);
      if (existing === undefined || !bytesEqual(existing, bytes)) {
        throw new TileError('TILE_CONFLICT', `${path} exists with other bytes: refusing to rewrite a tile`);
      }
    } finally {
      await unlink(temporary);
    }
  }

  /** Replaces the checkpoint at once (rename over it): the one mutable file. */
  async writeCheckpoint(text: string): Promise<void> {
    await mkdir(this.#root, { recursive: true });
    const target = join(this.#root, 'checkpoint');
    const temporary = `${target}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(temporary, text);
    await rename(temporary, target);
  }

  /** Deletes the partial versions of a full tile or bundle (`<path>.p/`), which it supersedes. */
  async removePartials(fullPath: string): Promise<void> {
    await rm(join(this.#root, `${fullPath}.p`), { recursive: true, force: true });
  }
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}
