import { createHash } from 'node:crypto';
import { portableHasher } from '@msi/merkle';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createHashSha256, nodeHasher, nodeHasherUsing } from './node-hasher.js';

const portable = portableHasher();
const node = nodeHasher();
const packed = (hashes: readonly Uint8Array[]) => {
  const out = new Uint8Array(32 * hashes.length);
  for (const [i, h] of hashes.entries()) out.set(h, 32 * i);
  return out;
};
const filled = (length: number, seed: number) =>
  Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff);

describe('nodeHasher agrees with portableHasher', () => {
  it('is named node and returns plain Uint8Arrays the caller owns', () => {
    expect(node.name).toBe('node');
    const root = node.emptyRoot();
    expect(Object.getPrototypeOf(root)).toBe(Uint8Array.prototype);
    expect(root.buffer.byteLength).toBe(32);
    expect(root).toEqual(portable.emptyRoot());
  });

  it('hashLeaf for every length 0..300 and around the streaming limit', () => {
    for (const length of [...Array.from({ length: 301 }, (_, i) => i), 4095, 4096, 4097, 100_000]) {
      const leaf = filled(length, length);
      expect(node.hashLeaf(leaf)).toEqual(portable.hashLeaf(leaf));
    }
  });

  it('hashLeaf of 0x00 || data is SHA-256 by createHash', () => {
    const data = filled(77, 5);
    const want = createHash('sha256').update(Uint8Array.of(0)).update(data).digest();
    expect(node.hashLeaf(data)).toEqual(new Uint8Array(want));
  });

  it('hashChildren, and its result is not overwritten by the next call', () => {
    const left = filled(32, 1);
    const right = filled(32, 2);
    const first = node.hashChildren(left, right);
    node.hashChildren(right, left);
    expect(first).toEqual(portable.hashChildren(left, right));
    expect(() => node.hashChildren(left, filled(31, 0))).toThrow(RangeError);
  });

  it('hashLeaves of mixed lengths, and of none', () => {
    const leaves = Array.from({ length: 130 }, (_, i) => filled(i, i));
    expect(node.hashLeaves(leaves)).toEqual(portable.hashLeaves(leaves));
    expect(node.hashLeaves([])).toEqual(new Uint8Array(0));
  });

  it('hashPairs with odd and even counts, ignoring bytes past count, rejecting short levels', () => {
    for (const count of [0, 1, 2, 3, 4, 5, 16, 17, 101]) {
      const level = filled(32 * count + 32, count);
      expect(node.hashPairs(level, count)).toEqual(portable.hashPairs(level, count));
    }
    expect(() => node.hashPairs(new Uint8Array(95), 3)).toThrow(RangeError);
  });

  it('property: batch methods equal the single-hash methods', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 20 }), (hashes) => {
        expect(node.hashLeaves(hashes)).toEqual(packed(hashes.map((h) => portable.hashLeaf(h))));
        const want: Uint8Array[] = [];
        for (let i = 0; i + 1 < hashes.length; i += 2) {
          want.push(
            portable.hashChildren(hashes[i] ?? new Uint8Array(32), hashes[i + 1] ?? new Uint8Array(32)),
          );
        }
        expect(node.hashPairs(packed(hashes), hashes.length)).toEqual(packed(want));
      }),
      { numRuns: 100 },
    );
  });
});

describe('nodeHasherUsing(createHashSha256), the path for Node without crypto.hash', () => {
  it('agrees with portableHasher', () => {
    const fallback = nodeHasherUsing(createHashSha256);
    const leaves = Array.from({ length: 70 }, (_, i) => filled(i, i + 3));
    expect(fallback.hashLeaves(leaves)).toEqual(portable.hashLeaves(leaves));
    expect(fallback.hashPairs(packed(leaves.slice(0, 9).map((l) => portable.hashLeaf(l))), 9)).toEqual(
      portable.hashPairs(packed(leaves.slice(0, 9).map((l) => portable.hashLeaf(l))), 9),
    );
    expect(fallback.emptyRoot()).toEqual(portable.emptyRoot());
  });
});
