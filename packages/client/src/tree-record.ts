import { MsiClientError } from './client-error.js';
import type { SealedTree } from './receipt-store.js';

// The file form of a sealed tree's index: a storage format of the client (never hashed or signed).
//   "MSIT" || 0x01 || u32 leafCount || root[32] || u32 rootEvent length || rootEvent
//   || leafHashes[32 * leafCount] || u32 eventLengths[leafCount]        (big-endian)

const MAGIC = [0x4d, 0x53, 0x49, 0x54];
const VERSION = 1;

/** The bytes of a sealed tree's index file. */
export function packSealedTree(tree: SealedTree): Uint8Array {
  const n = tree.leafCount;
  const out = new Uint8Array(5 + 4 + 32 + 4 + tree.rootEvent.length + 32 * n + 4 * n);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[4] = VERSION;
  view.setUint32(5, n);
  out.set(tree.root, 9);
  view.setUint32(41, tree.rootEvent.length);
  out.set(tree.rootEvent, 45);
  let at = 45 + tree.rootEvent.length;
  out.set(tree.leafHashes.subarray(0, 32 * n), at);
  at += 32 * n;
  for (let i = 0; i < n; i++) view.setUint32(at + 4 * i, tree.eventLengths[i] as number);
  return out;
}

/** Reads an index file back (the store's own file: a corrupt one is STORE_FAILED). */
export function unpackSealedTree(treeId: string, bytes: Uint8Array): SealedTree {
  const fail = (why: string): never => {
    throw new MsiClientError('STORE_FAILED', `tree ${treeId}: index file ${why}`);
  };
  if (bytes.length < 45 || !MAGIC.every((b, i) => bytes[i] === b) || bytes[4] !== VERSION) {
    fail('is not a tree index of version 1');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getUint32(5);
  const rootEventLength = view.getUint32(41);
  const start = 45 + rootEventLength;
  if (n < 1 || bytes.length !== start + 36 * n) fail(`has ${bytes.length} bytes, not those of ${n} leaves`);
  const eventLengths = new Uint32Array(n);
  const lengthsAt = start + 32 * n;
  for (let i = 0; i < n; i++) eventLengths[i] = view.getUint32(lengthsAt + 4 * i);
  return {
    treeId,
    leafCount: n,
    root: bytes.slice(9, 41),
    rootEvent: bytes.slice(45, start),
    leafHashes: bytes.slice(start, lengthsAt),
    eventLengths,
  };
}
