export { type KernelVariant, simdSupported } from './kernel.js';
export {
  createWasmHasher,
  createWasmHasherSync,
  type WasmHasherOptions,
  type WasmMerkleHasher,
} from './wasm-hasher.js';
