// The few WebAssembly JS-API members the kernel needs, typed here because the compiler settings of
// this workspace (lib ES2023, @types/node 20) declare no WebAssembly namespace.

/** A WebAssembly.Memory. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

/** An opaque compiled WebAssembly.Module. */
export interface WasmModule {
  readonly __brand?: 'WebAssembly.Module';
}

interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

interface WasmApi {
  validate(bytes: Uint8Array<ArrayBuffer>): boolean;
  compile(bytes: Uint8Array<ArrayBuffer>): Promise<WasmModule>;
  instantiate(module: WasmModule, imports?: object): Promise<WasmInstance>;
  Module: new (bytes: Uint8Array<ArrayBuffer>) => WasmModule;
  Instance: new (module: WasmModule, imports?: object) => WasmInstance;
}

/** Size of a WebAssembly memory page in bytes. */
export const WASM_PAGE_SIZE = 65536;

/** The global WebAssembly object; throws when the engine has none. */
export function webAssembly(): WasmApi {
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (api === undefined) throw new Error('WebAssembly is not available in this JavaScript engine');
  return api;
}
