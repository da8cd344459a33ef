import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateKernels, KERNEL_MODULE_PATH, renderKernelModule } from '../scripts/generate-kernel.mjs';
import { KERNEL_BASE, Kernel, kernelBytes, simdSupported } from './kernel.js';
import { WASM_PAGE_SIZE } from './wasm-runtime.js';

describe('generated kernel module', () => {
  it('matches a fresh build of scripts/generate-kernel.mjs (run pnpm build:kernel if not)', async () => {
    const fresh = await generateKernels();
    expect(kernelBytes('simd')).toEqual(fresh.simd);
    expect(kernelBytes('scalar')).toEqual(fresh.scalar);
    expect(readFileSync(KERNEL_MODULE_PATH, 'utf8')).toBe(renderKernelModule(fresh));
  });
});

describe('Kernel', () => {
  it('validates the SIMD build on this engine (Node >= 16.4 has WebAssembly SIMD)', () => {
    expect(simdSupported()).toBe(true);
  });

  for (const variant of ['simd', 'scalar'] as const) {
    it(`${variant}: loads synchronously and asynchronously into separate memories`, async () => {
      const a = Kernel.loadSync(variant);
      const b = await Kernel.load(variant);
      expect([a.variant, b.variant]).toEqual([variant, variant]);
      a.memory(KERNEL_BASE + 1)[KERNEL_BASE] = 7;
      expect(b.memory(KERNEL_BASE + 1)[KERNEL_BASE]).toBe(0);
    });

    it(`${variant}: grows its memory on demand, keeping the contents`, () => {
      const kernel = Kernel.loadSync(variant);
      const small = kernel.memory(16);
      small[KERNEL_BASE] = 42;
      const grown = kernel.memory(3 * WASM_PAGE_SIZE + 1);
      expect(grown.length).toBeGreaterThanOrEqual(3 * WASM_PAGE_SIZE + 1);
      expect(grown.length % WASM_PAGE_SIZE).toBe(0);
      expect(grown[KERNEL_BASE]).toBe(42);
      expect(kernel.memory(16)).toBe(grown);
    });
  }
});
