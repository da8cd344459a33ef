import type { MerkleHasher } from '@msi/merkle';
import { hashMessages, hashNodePair, hashNodePairs, hashPackedLeaves, sha256 } from './batch.js';
import { Kernel, type KernelVariant, simdSupported } from './kernel.js';

/** Options of createWasmHasher / createWasmHasherSync. */
export interface WasmHasherOptions {
  /**
   * Use the SIMD kernel: true requires it (compiling fails on engines without WebAssembly SIMD),
   * false forces the scalar kernel; by default SIMD is used when the engine validates it.
   */
  readonly simd?: boolean;
}

/** A MerkleHasher on the kernel, with a batch entry for leaves encoded back to back in one buffer. */
export interface WasmMerkleHasher extends MerkleHasher {
  /** Plain SHA-256 of each message (no prefix byte), packed: digest i at [32 i, 32 i + 32). */
  sha256Many(messages: readonly Uint8Array[]): Uint8Array;
  /**
   * Leaf hashes H(0x00 || m) of `count` messages packed in `bytes`: message i is
   * bytes[ends[i − 1], ends[i]) with ends[−1] = `start`; digest i goes to `out` at outAt + 32 i.
   * The same bytes as hashLeaves on the messages (tested). Throws RangeError on bad bounds.
   */
  hashPackedLeaves(
    bytes: Uint8Array,
    start: number,
    ends: ArrayLike<number>,
    count: number,
    out: Uint8Array,
    outAt: number,
  ): void;
}

/**
 * A MerkleHasher backed by a WebAssembly SHA-256 kernel, named "wasm-simd" or "wasm-scalar". The batch
 * methods (hashLeaves, hashPairs) hash four messages at a time per SIMD lane group and are the reason to
 * use it; single hashes cost about as much as with node:crypto. The hasher owns one kernel instance and
 * is not re-entrant (JavaScript never calls it re-entrantly). Resolves once the kernel is compiled.
 */
export async function createWasmHasher(options: WasmHasherOptions = {}): Promise<WasmMerkleHasher> {
  return hasherOn(await Kernel.load(chooseVariant(options)));
}

/**
 * Same as createWasmHasher, compiling synchronously. Fine in Node (any size); browsers refuse to
 * compile modules over 4 KiB synchronously on the main thread, so use createWasmHasher there.
 */
export function createWasmHasherSync(options: WasmHasherOptions = {}): WasmMerkleHasher {
  return hasherOn(Kernel.loadSync(chooseVariant(options)));
}

function chooseVariant(options: WasmHasherOptions): KernelVariant {
  const simd = options.simd ?? simdSupported();
  return simd ? 'simd' : 'scalar';
}

function hasherOn(kernel: Kernel): WasmMerkleHasher {
  const empty = sha256(kernel, new Uint8Array(0));
  return {
    name: `wasm-${kernel.variant}`,
    hashLeaf: (data) => hashMessages(kernel, [data], 1),
    hashChildren: (left, right) => hashNodePair(kernel, left, right),
    emptyRoot: () => empty.slice(),
    hashLeaves: (leaves) => hashMessages(kernel, leaves, 1),
    sha256Many: (messages) => hashMessages(kernel, messages, 0),
    hashPairs: (level, count) => hashNodePairs(kernel, level, count),
    hashPackedLeaves: (bytes, start, ends, count, out, outAt) =>
      hashPackedLeaves(kernel, bytes, start, ends, count, out, outAt),
  };
}
