import { createHash } from 'node:crypto';
import { portableHasher } from '@msi/merkle';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createWasmHasher, createWasmHasherSync, type WasmMerkleHasher } from './wasm-hasher.js';

const portable = portableHasher();
const packed = (hashes: readonly Uint8Array[]) => {
  const out = new Uint8Array(32 * hashes.length);
  for (const [i, h] of hashes.entries()) out.set(h, 32 * i);
  return out;
};
/** Deterministic pseudo-random bytes (xorshift32), so failures reproduce. */
function bytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed | 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

describe('createWasmHasher', () => {
  it('picks the SIMD kernel when the engine has it, unless told not to', async () => {
    expect((await createWasmHasher()).name).toBe('wasm-simd');
    expect((await createWasmHasher({ simd: false })).name).toBe('wasm-scalar');
    expect(createWasmHasherSync().name).toBe('wasm-simd');
    expect(createWasmHasherSync({ simd: false }).name).toBe('wasm-scalar');
  });
});

describe.each([
  ['simd', createWasmHasherSync({ simd: true })],
  ['scalar', createWasmHasherSync({ simd: false })],
] as [string, WasmMerkleHasher][])('%s hasher agrees with portableHasher', (_variant, wasm) => {
  it('sha256Many of the lengths 0..300 in one mixed batch is plain SHA-256 of each (node:crypto)', () => {
    const messages = Array.from({ length: 301 }, (_, length) => bytes(length, 5 * length + 1));
    const want = Buffer.concat(messages.map((m) => createHash('sha256').update(m).digest()));
    expect(Buffer.from(wasm.sha256Many(messages))).toEqual(want);
    expect(wasm.sha256Many([])).toHaveLength(0);
  });

  it('emptyRoot, and returns a fresh copy each time', () => {
    const root = wasm.emptyRoot();
    expect(root).toEqual(portable.emptyRoot());
    root.fill(0);
    expect(wasm.emptyRoot()).toEqual(portable.emptyRoot());
  });

  it('hashLeaf for every length 0..300 (all block boundaries)', () => {
    for (let length = 0; length <= 300; length++) {
      const leaf = bytes(length, length + 1);
      expect(wasm.hashLeaf(leaf)).toEqual(portable.hashLeaf(leaf));
    }
  });

  it('hashLeaves of the lengths 0..300 in one mixed batch, and in reverse', () => {
    const leaves = Array.from({ length: 301 }, (_, length) => bytes(length, 7 * length + 3));
    expect(wasm.hashLeaves(leaves)).toEqual(portable.hashLeaves(leaves));
    leaves.reverse();
    expect(wasm.hashLeaves(leaves)).toEqual(portable.hashLeaves(leaves));
  });

  it('hashLeaves of random batches of sizes 0..1000', () => {
    for (let size = 0; size <= 1000; size += size < 20 ? 1 : 97) {
      const uniform = Array.from({ length: size }, (_, i) => bytes(32, size * 1000 + i + 1));
      expect(wasm.hashLeaves(uniform)).toEqual(portable.hashLeaves(uniform));
      const mixed = Array.from({ length: size }, (_, i) => bytes((i * 37 + size) % 200, size + i + 1));
      expect(wasm.hashLeaves(mixed)).toEqual(portable.hashLeaves(mixed));
    }
  });

  it('hashLeaves of a leaf larger than the kernel memory and its chunks', () => {
    const big = bytes(3 * 1024 * 1024 + 13, 99);
    expect(wasm.hashLeaves([bytes(5, 1), big, bytes(70, 2)])).toEqual(
      packed([portable.hashLeaf(bytes(5, 1)), portable.hashLeaf(big), portable.hashLeaf(bytes(70, 2))]),
    );
  });

  it('hashChildren, and its result is not a view of kernel memory', () => {
    const left = bytes(32, 1);
    const right = bytes(32, 2);
    const first = wasm.hashChildren(left, right);
    expect(first).toEqual(portable.hashChildren(left, right));
    wasm.hashChildren(right, left);
    expect(first).toEqual(portable.hashChildren(left, right));
  });

  it('hashPairs with odd and even counts 0..40 and 999, ignoring bytes past count', () => {
    for (const count of [...Array.from({ length: 41 }, (_, i) => i), 999]) {
      const level = bytes(32 * count + 32, count + 11);
      const parents = wasm.hashPairs(level, count);
      expect(parents.length).toBe(32 * Math.floor(count / 2));
      expect(parents).toEqual(portable.hashPairs(level, count));
    }
  });

  it('property: hashLeaves equals hashLeaf of each leaf', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 150 }), { maxLength: 40 }), (leaves) => {
        expect(wasm.hashLeaves(leaves)).toEqual(packed(leaves.map((leaf) => portable.hashLeaf(leaf))));
      }),
      { numRuns: 100 },
    );
  });

  it('property: hashPairs equals hashChildren of each pair', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 41 }), (hashes) => {
        const level = packed(hashes);
        const want: Uint8Array[] = [];
        for (let i = 0; i + 1 < hashes.length; i += 2) {
          want.push(portable.hashChildren(hashes[i] ?? level, hashes[i + 1] ?? level));
        }
        expect(wasm.hashPairs(level, hashes.length)).toEqual(packed(want));
      }),
      { numRuns: 100 },
    );
  });
});
