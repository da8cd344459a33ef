// Types of generate-kernel.mjs, for the drift test in src/kernel.test.ts.
export declare const KERNEL_MODULE_PATH: string;
export declare function kernelWat(variant: 'simd' | 'scalar'): string;
export declare function generateKernels(): Promise<{ simd: Uint8Array; scalar: Uint8Array }>;
export declare function renderKernelModule(kernels: { simd: Uint8Array; scalar: Uint8Array }): string;
