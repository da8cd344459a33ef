import { decodeBase64 } from './base64.js';
import { KERNEL_SCALAR_BASE64, KERNEL_SIMD_BASE64 } from './gen/kernel.js';
import { WASM_PAGE_SIZE, type WasmMemory, type WasmModule, webAssembly } from './wasm-runtime.js';

/** Which build of the kernel: 4-lane WebAssembly SIMD, or scalar for engines without SIMD. */
export type KernelVariant = 'simd' | 'scalar';

/**
 * First byte of kernel memory the batch code uses. `pairs` reads the byte before its input, so
 * inputs never start at 0; 16 keeps every slot 16-byte aligned.
 */
export const KERNEL_BASE = 16;

interface KernelExports {
  readonly memory: WasmMemory;
  pairs(src: number, dst: number, count: number): void;
  padded(src: number, dst: number, count: number, blocks: number): void;
}

const bytesCache = new Map<KernelVariant, Uint8Array<ArrayBuffer>>();
const moduleCache = new Map<KernelVariant, WasmModule>();

/** The wasm bytes of a kernel, decoded once from the generated module. */
export function kernelBytes(variant: KernelVariant): Uint8Array<ArrayBuffer> {
  let bytes = bytesCache.get(variant);
  if (bytes === undefined) {
    bytes = decodeBase64(variant === 'simd' ? KERNEL_SIMD_BASE64 : KERNEL_SCALAR_BASE64);
    bytesCache.set(variant, bytes);
  }
  return bytes;
}

let simd: boolean | undefined;

/** Whether this engine accepts the SIMD kernel (WebAssembly SIMD: Node >= 16.4, current browsers). */
export function simdSupported(): boolean {
  simd ??= webAssembly().validate(kernelBytes('simd'));
  return simd;
}

/**
 * One instance of the kernel with its own memory, which grows on demand and is reused between calls.
 * The raw entry points take byte offsets into that memory (see scripts/generate-kernel.mjs):
 *   pairs(src, dst, count)           dst[32 i..] = SHA-256(0x01 || src[64 i .. 64 i + 64)), src >= 1
 *   padded(src, dst, count, blocks)  dst[32 i..] = SHA-256 of the padded message at src + 64 blocks i
 * Not safe for re-entrant use; one instance per hasher.
 */
export class Kernel {
  readonly #exports: KernelExports;
  #view: Uint8Array<ArrayBuffer>;

  private constructor(
    readonly variant: KernelVariant,
    exports: Record<string, unknown>,
  ) {
    this.#exports = asKernelExports(exports);
    this.#view = new Uint8Array(this.#exports.memory.buffer);
  }

  /** Compiles (once per variant and process) and instantiates synchronously. */
  static loadSync(variant: KernelVariant): Kernel {
    const api = webAssembly();
    let module = moduleCache.get(variant);
    if (module === undefined) {
      module = new api.Module(kernelBytes(variant));
      moduleCache.set(variant, module);
    }
    return new Kernel(variant, new api.Instance(module, {}).exports);
  }

  /** Compiles (once per variant and process) and instantiates without blocking. */
  static async load(variant: KernelVariant): Promise<Kernel> {
    const api = webAssembly();
    let module = moduleCache.get(variant);
    if (module === undefined) {
      module = await api.compile(kernelBytes(variant));
      moduleCache.set(variant, module);
    }
    return new Kernel(variant, (await api.instantiate(module, {})).exports);
  }

  /**
   * The kernel memory, grown to at least `size` bytes. The returned view is invalidated by the next
   * call that grows (growing detaches the old buffer), so callers fetch it again after each `memory`.
   */
  memory(size: number): Uint8Array<ArrayBuffer> {
    if (this.#view.length < size) {
      const memory = this.#exports.memory;
      memory.grow(Math.ceil((size - memory.buffer.byteLength) / WASM_PAGE_SIZE));
      this.#view = new Uint8Array(memory.buffer);
    }
    return this.#view;
  }

  pairs(src: number, dst: number, count: number): void {
    this.#exports.pairs(src, dst, count);
  }

  padded(src: number, dst: number, count: number, blocks: number): void {
    this.#exports.padded(src, dst, count, blocks);
  }
}

function asKernelExports(exports: Record<string, unknown>): KernelExports {
  const { memory, pairs, padded } = exports;
  if (typeof pairs !== 'function' || typeof padded !== 'function' || typeof memory !== 'object') {
    throw new Error('the SHA-256 kernel does not export memory, pairs and padded');
  }
  return exports as unknown as KernelExports;
}
