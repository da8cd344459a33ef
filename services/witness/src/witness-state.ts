import { open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { decodeBase64, encodeBase64 } from '@msi/core';
import { HASH_SIZE } from '@msi/merkle';
import type { LogState } from './decide-add-checkpoint.js';
import { WitnessError } from './witness-error.js';

const STATE_VERSION = 1;

/**
 * The witness's durable memory: per log origin, the size and root it last cosigned, all in one file.
 * Every change is written atomically (temporary file, fsync, rename, fsync of the directory) before
 * {@link commit} resolves, so after a crash the file holds either the old or the new state, never a
 * mix: the witness cannot forget a checkpoint it cosigned and then cosign a fork of it. Writes are
 * queued one at a time, each from the latest committed state, so concurrent commits of different
 * origins never lose each other.
 */
export class WitnessState {
  #writes: Promise<unknown> = Promise.resolve();

  readonly #path: string;
  #committed: ReadonlyMap<string, LogState>;

  private constructor(path: string, committed: ReadonlyMap<string, LogState>) {
    this.#path = path;
    this.#committed = committed;
  }

  /** Opens the state at `path`; a missing file is an empty state. Throws `STATE_CORRUPT`. */
  static async open(path: string): Promise<WitnessState> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error: unknown) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new WitnessState(path, new Map());
      throw error;
    }
    return new WitnessState(path, parseState(text, path));
  }

  /** The last committed state of `origin`, or undefined if the witness never cosigned it. */
  get(origin: string): LogState | undefined {
    return this.#committed.get(origin);
  }

  /** Durably records `state` for `origin`; resolves once it is on disk. */
  commit(origin: string, state: LogState): Promise<void> {
    const write = this.#writes.then(async () => {
      const next = new Map(this.#committed).set(origin, state);
      await writeAtomically(this.#path, formatState(next));
      this.#committed = next;
    });
    this.#writes = write.catch(() => undefined);
    return write;
  }
}

/** Writes `text` to `path` so that a crash leaves either the old or the new file. */
async function writeAtomically(path: string, text: string): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const file = await open(temporary, 'w', 0o600);
  try {
    await file.writeFile(text, 'utf8');
    await file.sync();
  } finally {
    await file.close();
  }
  try {
    await rename(temporary, path);
  } catch (error: unknown) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  const directory = await open(dirname(path), 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}

function formatState(logs: ReadonlyMap<string, LogState>): string {
  const entries = [...logs].map(([origin, { size, root }]) => [origin, { size, root: encodeBase64(root) }]);
  return `${JSON.stringify({ version: STATE_VERSION, logs: Object.fromEntries(entries) }, null, 2)}\n`;
}

/** Parses the state file (trusted, but checked: a damaged file must stop the witness, not reset it). */
function parseState(text: string, path: string): ReadonlyMap<string, LogState> {
  const corrupt = (why: string): never => {
    throw new WitnessError('STATE_CORRUPT', `witness state ${path}: ${why}`);
  };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return corrupt('not JSON');
  }
  const { version, logs } = (value ?? {}) as { version?: unknown; logs?: unknown };
  if (version !== STATE_VERSION) corrupt(`version ${String(version)}, want ${STATE_VERSION}`);
  if (typeof logs !== 'object' || logs === null || Array.isArray(logs)) return corrupt('no logs object');
  const result = new Map<string, LogState>();
  for (const [origin, entry] of Object.entries(logs)) {
    const { size, root } = (entry ?? {}) as { size?: unknown; root?: unknown };
    if (!Number.isSafeInteger(size) || (size as number) < 0) corrupt(`bad size for ${origin}`);
    const rootBytes = typeof root === 'string' ? decodeBase64(root) : undefined;
    if (rootBytes?.length !== HASH_SIZE) return corrupt(`bad root for ${origin}`);
    result.set(origin, { size: size as number, root: rootBytes });
  }
  return result;
}
