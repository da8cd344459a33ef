import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ColdClaimStore, ColdClaims } from './claim-index.js';
import type { ClaimTable } from './claim-table.js';
import { ClaimTableFile } from './claim-table-file.js';

const PREFIX = 'msi-ingest-claims-';

/**
 * The claim index's cold store: one directory of this process's own, `msi-ingest-claims-<pid>-…`
 * under `parent`, holding a ClaimTableFile per written slice. Nothing in it outlives the process
 * (the index is rebuilt from the claims stream at start): `close` removes it, and `open` removes the
 * directories of processes that no longer run (a SIGKILLed replica's).
 */
export class ClaimSpillDirectory implements ColdClaimStore {
  readonly path: string;
  #files = 0;

  private constructor(path: string) {
    this.path = path;
  }

  /**
   * Creates this process's directory under `parent` (a directory of this machine's own: the sweep
   * judges other directories by whether their pid runs here).
   */
  static async open(
    parent: string,
    isRunning: (pid: number) => boolean = pidIsRunning,
  ): Promise<ClaimSpillDirectory> {
    for (const name of await readdir(parent).catch(() => [] as string[])) {
      const pid = Number(/^msi-ingest-claims-(\d+)-/.exec(name)?.[1] ?? Number.NaN);
      // Our own pid on a directory we have not made yet: an earlier process (a container's pid 1).
      if (Number.isInteger(pid) && (pid === process.pid || !isRunning(pid)))
        await rm(join(parent, name), { recursive: true, force: true });
    }
    return new ClaimSpillDirectory(await mkdtemp(join(parent, `${PREFIX}${process.pid}-`)));
  }

  async write(table: ClaimTable, under?: ColdClaims): Promise<ColdClaims> {
    let merged = table;
    if (under !== undefined) {
      merged = await fileOf(under).load();
      merged.setAll(table);
    }
    this.#files += 1;
    return ClaimTableFile.write(join(this.path, `${this.#files}.claims`), merged);
  }

  remove(cold: ColdClaims): void {
    void fileOf(cold)
      .remove()
      .catch(() => undefined);
  }

  /** Removes the directory and everything in it. */
  async close(): Promise<void> {
    await rm(this.path, { recursive: true, force: true });
  }
}

function fileOf(cold: ColdClaims): ClaimTableFile {
  if (!(cold instanceof ClaimTableFile)) throw new Error('a cold claim table this directory did not write');
  return cold;
}

function pidIsRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error: unknown) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
