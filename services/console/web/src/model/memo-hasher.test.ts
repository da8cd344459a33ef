import { portableHasher } from '@msi/merkle';
import { describe, expect, it } from 'vitest';
import { memoisedHasher } from './memo-hasher.js';

// The memo must give exactly the portable hasher's bytes, for repeated and fresh inputs alike, and
// hand out copies (the port's callers own what they get).
const bytes = (length: number, seed: number) =>
  Uint8Array.from({ length }, (_, i) => (i * 31 + seed * 17 + ((i * seed) >> 3)) & 0xff);

describe('memoisedHasher', () => {
  const plain = portableHasher();

  it('answers what the portable hasher answers, the first time and the next', () => {
    const memo = memoisedHasher(portableHasher(), 8);
    for (let round = 0; round < 3; round++) {
      for (let seed = 0; seed < 20; seed++) {
        const left = bytes(32, seed);
        const right = bytes(32, seed + 100);
        expect(memo.hashChildren(left, right)).toEqual(plain.hashChildren(left, right));
        for (const length of [0, 1, 64, 192, 193, 400]) {
          expect(memo.hashLeaf(bytes(length, seed))).toEqual(plain.hashLeaf(bytes(length, seed)));
        }
      }
    }
    expect(memo.emptyRoot()).toEqual(plain.emptyRoot());
    const leaves = [bytes(10, 1), bytes(20, 2), bytes(30, 3)];
    expect(memo.hashLeaves(leaves)).toEqual(plain.hashLeaves(leaves));
    const level = bytes(96, 4);
    expect(memo.hashPairs(level, 3)).toEqual(plain.hashPairs(level, 3));
  });

  it('tells apart inputs that differ in one byte or in where left ends', () => {
    const memo = memoisedHasher(portableHasher());
    const left = bytes(32, 7);
    const right = bytes(32, 8);
    const first = memo.hashChildren(left, right);
    const changed = right.slice();
    changed[31] = (changed[31] ?? 0) ^ 1;
    expect(memo.hashChildren(left, changed)).toEqual(plain.hashChildren(left, changed));
    expect(memo.hashChildren(left, changed)).not.toEqual(first);
    expect(memo.hashChildren(right, left)).toEqual(plain.hashChildren(right, left));
  });

  it('hands out a copy: changing an answer does not change the next one', () => {
    const memo = memoisedHasher(portableHasher());
    const left = bytes(32, 1);
    const right = bytes(32, 2);
    const answer = memo.hashChildren(left, right);
    answer.fill(0);
    expect(memo.hashChildren(left, right)).toEqual(plain.hashChildren(left, right));
    const leaf = memo.hashLeaf(bytes(50, 3));
    leaf.fill(0);
    expect(memo.hashLeaf(bytes(50, 3))).toEqual(plain.hashLeaf(bytes(50, 3)));
  });
});
