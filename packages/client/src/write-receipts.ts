import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { MsiClientError } from './client-error.js';
import type { TreeBundle } from './tree-bundle.js';

/**
 * Writes every receipt v2 of an anchored tree into `dir`, one file per event named by its id
 * (`<uuid>.json`, canonical JSON and a final newline: what `msi verify` reads). Returns how many.
 * Throws NOT_ANCHORED for a tree without its root receipt, STORE_FAILED when a file cannot be written.
 */
export async function writeTreeReceipts(bundle: TreeBundle, dir: string): Promise<number> {
  await mkdir(dir, { recursive: true });
  const newline = Uint8Array.of(0x0a);
  for (const receipt of bundle.receipts()) {
    const path = join(dir, bundle.fileName(receipt.index));
    try {
      const file = await open(path, 'w');
      try {
        await file.writev([receipt.json, newline]);
      } finally {
        await file.close();
      }
    } catch (error: unknown) {
      throw new MsiClientError('STORE_FAILED', `cannot write ${path}: ${String(error)}`, '', {
        cause: error,
      });
    }
  }
  return bundle.leafCount;
}
