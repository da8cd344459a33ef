import { type FSWatcher, watch } from 'node:fs';
import { join } from 'node:path';

/**
 * One fs.watch (inotify) per directory, never recursive: a change to an entry of a watched
 * directory calls `onPath` with the entry's path (or the directory's, when the name is unknown).
 * Notifications can be lost or coalesced: the agent's periodic rescan catches what they miss.
 */
export class DirectoryWatcher {
  readonly #watchers = new Map<string, FSWatcher>();
  readonly #onPath: (path: string) => void;
  readonly #onError: (dir: string, error: unknown) => void;

  constructor(onPath: (path: string) => void, onError: (dir: string, error: unknown) => void) {
    this.#onPath = onPath;
    this.#onError = onError;
  }

  get size(): number {
    return this.#watchers.size;
  }

  /** Watches `dir` (once); a directory that vanished is skipped. */
  add(dir: string): void {
    if (this.#watchers.has(dir)) return;
    try {
      const watcher = watch(dir, { persistent: false }, (_event, name) => {
        this.#onPath(name === null ? dir : join(dir, name.toString()));
      });
      watcher.on('error', (error) => {
        this.remove(dir);
        this.#onError(dir, error);
      });
      this.#watchers.set(dir, watcher);
    } catch (error: unknown) {
      this.#onError(dir, error);
    }
  }

  remove(dir: string): void {
    this.#watchers.get(dir)?.close();
    this.#watchers.delete(dir);
  }

  close(): void {
    for (const w of this.#watchers.values()) w.close();
    this.#watchers.clear();
  }
}
