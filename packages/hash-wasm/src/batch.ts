import { KERNEL_BASE, type Kernel } from './kernel.js';
import { BLOCK_SIZE, paddedBlocks, writePadding } from './padding.js';

const DIGEST_SIZE = 32;
const PAIR_SIZE = 2 * DIGEST_SIZE;

/**
 * Bytes of input handed to the kernel per call. Big batches are cut into chunks of about this size so
 * the kernel memory stays small and in cache; a single message larger than this gets a chunk of its own
 * (the memory grows to fit it).
 */
export const CHUNK_BYTES = 1 << 20;

/** Largest message the kernel can take: its memory is addressed with 32-bit offsets. */
const MAX_MESSAGE = 2 ** 31;

/**
 * SHA-256 of every message in `messages`, each preceded by `prefix` zero bytes (0 for plain SHA-256,
 * 1 for RFC 9162 leaf hashes H(0x00 || d)), packed: digest i at [32 i, 32 i + 32).
 */
export function hashMessages(kernel: Kernel, messages: readonly Uint8Array[], prefix: 0 | 1): Uint8Array {
  const out = new Uint8Array(messages.length * DIGEST_SIZE);
  const groups = groupByBlocks(messages, prefix);
  if (groups === undefined) {
    const first = messages[0];
    if (first !== undefined) {
      hashGroup(kernel, messages, null, paddedBlocks(first.length + prefix), prefix, out);
    }
    return out;
  }
  for (const [blocks, indices] of groups) hashGroup(kernel, messages, indices, blocks, prefix, out);
  return out;
}

/**
 * Indices of the messages by padded block count, or undefined when all have the same count (the
 * common case, e.g. leaves that are 32-byte hashes, which needs no regrouping).
 */
function groupByBlocks(messages: readonly Uint8Array[], prefix: 0 | 1): Map<number, number[]> | undefined {
  let min = Number.POSITIVE_INFINITY;
  let max = 0;
  for (let i = 0; i < messages.length; i++) {
    const length = (messages[i] as Uint8Array).length;
    if (length < min) min = length;
    if (length > max) max = length;
  }
  if (max + prefix > MAX_MESSAGE) {
    throw new RangeError(`message of ${max} bytes is larger than the kernel accepts`);
  }
  if (messages.length === 0 || paddedBlocks(min + prefix) === paddedBlocks(max + prefix)) return undefined;
  const groups = new Map<number, number[]>();
  messages.forEach((message, i) => {
    const blocks = paddedBlocks(message.length + prefix);
    const group = groups.get(blocks);
    if (group === undefined) groups.set(blocks, [i]);
    else group.push(i);
  });
  return groups;
}

/** Hashes the messages at `indices` (all of them when null), which all pad to `blocks` blocks. */
function hashGroup(
  kernel: Kernel,
  messages: readonly Uint8Array[],
  indices: readonly number[] | null,
  blocks: number,
  prefix: 0 | 1,
  out: Uint8Array,
): void {
  const total = indices === null ? messages.length : indices.length;
  const stride = blocks * BLOCK_SIZE;
  const perChunk = Math.max(1, Math.floor(CHUNK_BYTES / stride));
  for (let start = 0; start < total; start += perChunk) {
    const count = Math.min(perChunk, total - start);
    const dst = KERNEL_BASE + count * stride;
    const memory = kernel.memory(dst + count * DIGEST_SIZE);
    memory.fill(0, KERNEL_BASE, dst);
    for (let j = 0; j < count; j++) {
      const message = messages[indices === null ? start + j : (indices[start + j] as number)] as Uint8Array;
      const offset = KERNEL_BASE + j * stride;
      memory.set(message, offset + prefix);
      writePadding(memory, offset, message.length + prefix, blocks);
    }
    kernel.padded(KERNEL_BASE, dst, count, blocks);
    if (indices === null) {
      out.set(memory.subarray(dst, dst + count * DIGEST_SIZE), start * DIGEST_SIZE);
    } else {
      for (let j = 0; j < count; j++) {
        const at = dst + j * DIGEST_SIZE;
        out.set(memory.subarray(at, at + DIGEST_SIZE), (indices[start + j] as number) * DIGEST_SIZE);
      }
    }
  }
}

/**
 * RFC 9162 parents of the `count` packed hashes in `level`: floor(count / 2) hashes
 * SHA-256(0x01 || level[2i] || level[2i+1]), packed. Precondition (checked): level holds count hashes.
 */
export function hashNodePairs(kernel: Kernel, level: Uint8Array, count: number): Uint8Array {
  if (!Number.isSafeInteger(count) || count < 0 || level.length < count * DIGEST_SIZE) {
    throw new RangeError(`hashPairs: level of ${level.length} bytes does not hold ${count} hashes`);
  }
  const parents = Math.floor(count / 2);
  const out = new Uint8Array(parents * DIGEST_SIZE);
  const perChunk = CHUNK_BYTES / PAIR_SIZE;
  for (let start = 0; start < parents; start += perChunk) {
    const n = Math.min(perChunk, parents - start);
    const dst = KERNEL_BASE + n * PAIR_SIZE;
    const memory = kernel.memory(dst + n * DIGEST_SIZE);
    memory.set(level.subarray(start * PAIR_SIZE, (start + n) * PAIR_SIZE), KERNEL_BASE);
    kernel.pairs(KERNEL_BASE, dst, n);
    out.set(memory.subarray(dst, dst + n * DIGEST_SIZE), start * DIGEST_SIZE);
  }
  return out;
}

/** SHA-256(0x01 || left || right) for two 32-byte hashes (checked). */
export function hashNodePair(kernel: Kernel, left: Uint8Array, right: Uint8Array): Uint8Array {
  if (left.length !== DIGEST_SIZE || right.length !== DIGEST_SIZE) {
    throw new RangeError(`hashChildren: children of ${left.length} and ${right.length} bytes, want 32 each`);
  }
  const dst = KERNEL_BASE + PAIR_SIZE;
  const memory = kernel.memory(dst + DIGEST_SIZE);
  memory.set(left, KERNEL_BASE);
  memory.set(right, KERNEL_BASE + DIGEST_SIZE);
  kernel.pairs(KERNEL_BASE, dst, 1);
  return memory.slice(dst, dst + DIGEST_SIZE);
}

/** Plain SHA-256 of one message, through the kernel. */
export function sha256(kernel: Kernel, message: Uint8Array): Uint8Array {
  return hashMessages(kernel, [message], 0);
}

/**
 * RFC 9162 leaf hashes H(0x00 || m) of `count` messages laid out back to back in `bytes`: message i
 * is bytes[ends[i − 1], ends[i]) with ends[−1] = `start`. Digest i is written to `out` at
 * outAt + 32 i. For a writer that encodes its leaves into one buffer: no view per message is made;
 * each chunk of messages is copied into kernel memory once and moved to its padded slot there.
 * Precondition (checked): the ends are non-decreasing and within `bytes`, and `out` has room.
 */
export function hashPackedLeaves(
  kernel: Kernel,
  bytes: Uint8Array,
  start: number,
  ends: ArrayLike<number>,
  count: number,
  out: Uint8Array,
  outAt: number,
): void {
  if (count === 0) return;
  checkPacked(bytes, start, ends, count, out, outAt);
  let minBlocks = Number.POSITIVE_INFINITY;
  let maxBlocks = 0;
  let from = start;
  for (let i = 0; i < count; i++) {
    const blocks = paddedBlocks((ends[i] as number) - from + 1);
    if (blocks < minBlocks) minBlocks = blocks;
    if (blocks > maxBlocks) maxBlocks = blocks;
    from = ends[i] as number;
  }
  if (minBlocks === maxBlocks) {
    hashPackedGroup(kernel, bytes, start, ends, null, count, minBlocks, out, outAt);
    return;
  }
  const groups = new Map<number, number[]>();
  from = start;
  for (let i = 0; i < count; i++) {
    const blocks = paddedBlocks((ends[i] as number) - from + 1);
    const group = groups.get(blocks);
    if (group === undefined) groups.set(blocks, [i]);
    else group.push(i);
    from = ends[i] as number;
  }
  for (const [blocks, indices] of groups) {
    hashPackedGroup(kernel, bytes, start, ends, indices, indices.length, blocks, out, outAt);
  }
}

function checkPacked(
  bytes: Uint8Array,
  start: number,
  ends: ArrayLike<number>,
  count: number,
  out: Uint8Array,
  outAt: number,
): void {
  let from = start;
  if (!Number.isSafeInteger(count) || count < 0 || count > ends.length || start < 0) {
    throw new RangeError(`hashPackedLeaves: ${count} messages, ${ends.length} ends, start ${start}`);
  }
  for (let i = 0; i < count; i++) {
    const end = ends[i] as number;
    if (!(end >= from && end <= bytes.length && end - from + 1 <= MAX_MESSAGE)) {
      throw new RangeError(
        `hashPackedLeaves: message ${i} ends at ${end}, after ${from}, in ${bytes.length}`,
      );
    }
    from = end;
  }
  if (outAt < 0 || outAt + count * DIGEST_SIZE > out.length) {
    throw new RangeError(`hashPackedLeaves: no room for ${count} digests at ${outAt} in ${out.length}`);
  }
}

/** Hashes the packed messages at `indices` (all `count` when null), which all pad to `blocks` blocks. */
function hashPackedGroup(
  kernel: Kernel,
  bytes: Uint8Array,
  start: number,
  ends: ArrayLike<number>,
  indices: readonly number[] | null,
  count: number,
  blocks: number,
  out: Uint8Array,
  outAt: number,
): void {
  const stride = blocks * BLOCK_SIZE;
  const perChunk = Math.max(1, Math.floor(CHUNK_BYTES / stride));
  const begin = (i: number) => (i === 0 ? start : (ends[i - 1] as number));
  for (let first = 0; first < count; first += perChunk) {
    const n = Math.min(perChunk, count - first);
    const at = (j: number) => (indices === null ? first + j : (indices[first + j] as number));
    const lo = begin(at(0));
    const hi = ends[at(n - 1)] as number;
    const dst = KERNEL_BASE + n * stride;
    const staging = dst + n * DIGEST_SIZE;
    const memory = kernel.memory(staging + (hi - lo));
    memory.set(bytes.subarray(lo, hi), staging);
    memory.fill(0, KERNEL_BASE, dst);
    for (let j = 0; j < n; j++) {
      const i = at(j);
      const from = begin(i);
      const length = (ends[i] as number) - from;
      const slot = KERNEL_BASE + j * stride;
      memory.copyWithin(slot + 1, staging + from - lo, staging + from - lo + length);
      writePadding(memory, slot, length + 1, blocks);
    }
    kernel.padded(KERNEL_BASE, dst, n, blocks);
    if (indices === null) {
      out.set(memory.subarray(dst, dst + n * DIGEST_SIZE), outAt + first * DIGEST_SIZE);
    } else {
      for (let j = 0; j < n; j++) {
        const digest = dst + j * DIGEST_SIZE;
        out.set(memory.subarray(digest, digest + DIGEST_SIZE), outAt + at(j) * DIGEST_SIZE);
      }
    }
  }
}
