import { portableHasher } from '@msi/merkle';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createWasmHasherSync, type WasmMerkleHasher } from './wasm-hasher.js';

const portable = portableHasher();

/** The messages packed back to back after `start` filler bytes, and their end offsets. */
function pack(messages: readonly Uint8Array[], start: number): { bytes: Uint8Array; ends: number[] } {
  const total = messages.reduce((n, m) => n + m.length, start);
  const bytes = new Uint8Array(total + 7).fill(0xee);
  const ends: number[] = [];
  let at = start;
  for (const m of messages) {
    bytes.set(m, at);
    at += m.length;
    ends.push(at);
  }
  return { bytes, ends };
}

describe.each([
  ['simd', createWasmHasherSync({ simd: true })],
  ['scalar', createWasmHasherSync({ simd: false })],
] as [string, WasmMerkleHasher][])('%s hashPackedLeaves', (_variant, wasm) => {
  it('property: the leaf hashes of hashLeaves, mixed sizes, at any start and output offset', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 40 }),
        fc.nat({ max: 9 }),
        fc.nat({ max: 3 }),
        (messages, start, outSlots) => {
          const { bytes, ends } = pack(messages, start);
          const out = new Uint8Array(32 * (messages.length + outSlots)).fill(0xaa);
          wasm.hashPackedLeaves(bytes, start, ends, messages.length, out, 32 * outSlots);
          expect(out.subarray(0, 32 * outSlots).every((b) => b === 0xaa)).toBe(true);
          expect(out.subarray(32 * outSlots)).toEqual(portable.hashLeaves(messages));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('crosses the 1 MiB chunk: 9,000 messages of 118 bytes (two blocks each) and one of 1.1 MiB', () => {
    const messages = Array.from({ length: 9000 }, (_, i) => new Uint8Array(118).fill(i & 0xff));
    messages.push(new Uint8Array(1_150_000).fill(3));
    const { bytes, ends } = pack(messages, 0);
    const out = new Uint8Array(32 * messages.length);
    wasm.hashPackedLeaves(bytes, 0, Uint32Array.from(ends), messages.length, out, 0);
    expect(out).toEqual(portable.hashLeaves(messages));
  }, 30_000);

  it('refuses ends out of order or out of bounds, and an output without room', () => {
    const bytes = new Uint8Array(10);
    const out = new Uint8Array(64);
    expect(() => wasm.hashPackedLeaves(bytes, 0, [5, 4], 2, out, 0)).toThrow(RangeError);
    expect(() => wasm.hashPackedLeaves(bytes, 0, [11], 1, out, 0)).toThrow(RangeError);
    expect(() => wasm.hashPackedLeaves(bytes, 0, [5, 6], 2, out, 33)).toThrow(RangeError);
    expect(() => wasm.hashPackedLeaves(bytes, 0, [5], 2, out, 0)).toThrow(RangeError);
  });
});
