import { describe, expect, it } from 'vitest';
import { BLOCK_SIZE, paddedBlocks, writePadding } from './padding.js';

describe('paddedBlocks', () => {
  it('leaves room for 0x80 and the 8-byte length, and no more than one spare block', () => {
    for (let length = 0; length <= 300; length++) {
      const blocks = paddedBlocks(length);
      expect(blocks * BLOCK_SIZE).toBeGreaterThanOrEqual(length + 9);
      expect((blocks - 1) * BLOCK_SIZE).toBeLessThan(length + 9);
    }
  });

  it('switches at the block boundaries 55/56 and 119/120', () => {
    expect([paddedBlocks(55), paddedBlocks(56), paddedBlocks(119), paddedBlocks(120)]).toEqual([1, 2, 2, 3]);
  });
});

describe('writePadding', () => {
  it('writes 0x80 after the message and the big-endian bit length at the end', () => {
    const memory = new Uint8Array(2 * BLOCK_SIZE + 4);
    writePadding(memory, 4, 70, 2);
    expect(memory[4 + 70]).toBe(0x80);
    expect([...memory.subarray(4 + 120, 4 + 128)]).toEqual([0, 0, 0, 0, 0, 0, 0x02, 0x30]);
  });

  it('carries bit lengths above 2^32 into the high word', () => {
    const length = 0x2000_0001; // 2^29 + 1 bytes = 2^32 + 8 bits
    const memory = new Uint8Array(BLOCK_SIZE);
    // Only the tail is inspected: write into a window whose last block is `memory`.
    const blocks = paddedBlocks(length);
    const offset = BLOCK_SIZE - blocks * BLOCK_SIZE;
    writePadding(memory, offset, length, blocks);
    expect([...memory.subarray(56, 64)]).toEqual([0, 0, 0, 1, 0, 0, 0, 8]);
  });
});
