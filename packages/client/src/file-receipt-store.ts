import { type FileHandle, mkdir, open, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MsiClientError } from './client-error.js';
import type { ReceiptStore, SealedTree, StoredTree } from './receipt-store.js';
import { packSealedTree, unpackSealedTree } from './tree-record.js';

const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * A ReceiptStore in a directory (the client's default). Per local tree, named by its root event id:
 * `<id>.events` (the aggregated events, appended while the tree is open), `<id>.tree` (its index:
 * tree-record.ts, written and fsynced with the events before the root event is submitted) and
 * `<id>.root.json` (the root event's receipt v1, once anchored); individual receipts under
 * `individual/<event id>.json`. Files are replaced atomically (temporary file, rename).
 */
export class FileReceiptStore implements ReceiptStore {
  readonly #dir: string;
  readonly #events = new Map<string, FileHandle>();
  #ready: Promise<void> | undefined;

  constructor(dir: string) {
    this.#dir = dir;
  }

  async appendEvents(treeId: string, bytes: Uint8Array): Promise<void> {
    const file = await this.#eventsFile(treeId);
    await guard(`append to ${treeId}.events`, () => file.appendFile(bytes));
  }

  async sealTree(tree: SealedTree): Promise<void> {
    const file = await this.#eventsFile(tree.treeId);
    await guard(`sync ${tree.treeId}.events`, async () => {
      await file.datasync();
      await file.close();
    });
    this.#events.delete(tree.treeId);
    await this.#replace(`${tree.treeId}.tree`, packSealedTree(tree), true);
  }

  putRootReceipt(treeId: string, receiptJson: string): Promise<void> {
    return this.#replace(`${checkId(treeId)}.root.json`, `${receiptJson}\n`, true);
  }

  async putReceipt(eventId: string, receiptJson: string): Promise<void> {
    await this.#prepare();
    await this.#replace(join('individual', `${checkId(eventId)}.json`), `${receiptJson}\n`, false);
  }

  async getReceipt(eventId: string): Promise<string | undefined> {
    const text = await readOptional(join(this.#dir, 'individual', `${checkId(eventId)}.json`));
    return text?.toString('utf8').replace(/\n$/, '');
  }

  async listTrees(): Promise<{ treeId: string; anchored: boolean }[]> {
    await this.#prepare();
    const names = new Set(await guard(`list ${this.#dir}`, () => readdir(this.#dir)));
    return [...names]
      .filter((name) => name.endsWith('.tree') && UUID_TEXT.test(name.slice(0, -5)))
      .map((name) => name.slice(0, -5))
      .sort() // UUIDv7 text sorts by time
      .map((treeId) => ({ treeId, anchored: names.has(`${treeId}.root.json`) }));
  }

  async readTree(treeId: string): Promise<StoredTree> {
    checkId(treeId);
    const index = await guard(`read ${treeId}.tree`, () => readFile(join(this.#dir, `${treeId}.tree`)));
    const events = await guard(`read ${treeId}.events`, () => readFile(join(this.#dir, `${treeId}.events`)));
    const root = await readOptional(join(this.#dir, `${treeId}.root.json`));
    return {
      ...unpackSealedTree(treeId, new Uint8Array(index.buffer, index.byteOffset, index.byteLength)),
      events: new Uint8Array(events.buffer, events.byteOffset, events.byteLength),
      rootReceiptJson: root?.toString('utf8').replace(/\n$/, ''),
    };
  }

  async close(): Promise<void> {
    const files = [...this.#events.values()];
    this.#events.clear();
    await Promise.all(files.map((f) => f.close()));
  }

  #prepare(): Promise<void> {
    this.#ready ??= guard(`create ${this.#dir}`, async () => {
      await mkdir(join(this.#dir, 'individual'), { recursive: true });
    });
    return this.#ready;
  }

  async #eventsFile(treeId: string): Promise<FileHandle> {
    const open_ = this.#events.get(checkId(treeId));
    if (open_ !== undefined) return open_;
    await this.#prepare();
    const file = await guard(`open ${treeId}.events`, () => open(join(this.#dir, `${treeId}.events`), 'a'));
    this.#events.set(treeId, file);
    return file;
  }

  /** Writes `name` atomically: a temporary file, (fsync,) rename. */
  async #replace(name: string, content: string | Uint8Array, sync: boolean): Promise<void> {
    await this.#prepare();
    const path = join(this.#dir, name);
    const temporary = `${path}.${process.pid}.tmp`;
    await guard(`write ${name}`, async () => {
      if (sync) {
        const file = await open(temporary, 'w');
        try {
          await file.writeFile(content);
          await file.datasync();
        } finally {
          await file.close();
        }
      } else {
        await writeFile(temporary, content);
      }
      await rename(temporary, path);
    });
  }
}

function checkId(id: string): string {
  if (!UUID_TEXT.test(id))
    throw new MsiClientError('STORE_FAILED', `"${id.slice(0, 40)}" is not an event id`);
  return id;
}

async function readOptional(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new MsiClientError('STORE_FAILED', `cannot read ${path}: ${String(error)}`, '', { cause: error });
  }
}

async function guard<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error: unknown) {
    if (error instanceof MsiClientError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new MsiClientError('STORE_FAILED', `receipt store: cannot ${what}: ${reason}`, '', {
      cause: error,
    });
  }
}
