import { HASH_SIZE } from '@msi/merkle';
import { describe, expect, it } from 'vitest';
import { LeafBuffer } from './leaf-buffer.js';

/** `count` distinct packed hashes: hash i is 32 bytes of (first + i) mod 256. */
const hashes = (first: number, count: number): Uint8Array => {
  const packed = new Uint8Array(count * HASH_SIZE);
  for (let i = 0; i < count; i++) packed.fill((first + i) % 256, i * HASH_SIZE, (i + 1) * HASH_SIZE);
  return packed;
};

describe('LeafBuffer', () => {
  it('keeps appended hashes packed, in order, across growth', () => {
    const buffer = new LeafBuffer(2);
    buffer.append(hashes(0, 1));
    buffer.append(hashes(1, 5));
    buffer.append(new Uint8Array(0));
    buffer.append(hashes(6, 300));
    expect(buffer.count).toBe(306);
    expect(buffer.view()).toEqual(hashes(0, 306));
  });

  it('stays within 1.25x of what it holds (once past its initial size)', () => {
    const buffer = new LeafBuffer(1);
    for (let i = 0; i < 5000; i++) {
      buffer.append(hashes(i, 1 + (i % 7)));
      expect(buffer.capacityBytes).toBeLessThanOrEqual(
        Math.max(1024, Math.ceil(buffer.count * 1.25) + 7) * HASH_SIZE,
      );
    }
  });

  it('clears, keeping a reasonable capacity', () => {
    const buffer = new LeafBuffer(4);
    buffer.append(hashes(0, 100_000));
    buffer.clear();
    expect(buffer.count).toBe(0);
    expect(buffer.view().length).toBe(0);
    buffer.append(hashes(9, 10));
    expect(buffer.view()).toEqual(hashes(9, 10));
    const big = buffer.capacityBytes;
    buffer.clear();
    expect(buffer.capacityBytes).toBeLessThanOrEqual(big);
    buffer.append(hashes(3, 2));
    expect(buffer.view()).toEqual(hashes(3, 2));
  });

  it('compacts to exactly what it holds, and grows again after', () => {
    const buffer = new LeafBuffer(1000);
    buffer.append(hashes(0, 10));
    buffer.compact();
    expect(buffer.capacityBytes).toBe(10 * HASH_SIZE);
    expect(buffer.view()).toEqual(hashes(0, 10));
    buffer.append(hashes(10, 3));
    expect(buffer.view()).toEqual(hashes(0, 13));
  });

  it('rejects a partial hash', () => {
    expect(() => new LeafBuffer().append(new Uint8Array(33))).toThrow(RangeError);
  });
});
