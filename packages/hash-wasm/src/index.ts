export { type KernelVariant, simdSupported } from './kernel.js';
export { createWasmHasher, createWasmHasherSync, type WasmHasherOptions } from './wasm-hasher.js';
