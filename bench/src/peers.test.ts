import { merkleRoot, portableHasher } from '@msi/merkle';
import { describe, expect, it } from 'vitest';
import {
  merkletreejsBuild,
  naiveRfc9162Root,
  openZeppelinBuild,
  openZeppelinValues,
  sha256Buffer,
} from './peers.js';

const leaves = (n: number) => Array.from({ length: n }, (_, i) => Uint8Array.of(i, i >> 8, 7));

describe('peers', () => {
  it('naiveRfc9162Root equals merkleRoot of @msi/merkle for sizes 0..40', () => {
    for (let n = 0; n <= 40; n++) {
      expect(new Uint8Array(naiveRfc9162Root(leaves(n)))).toEqual(merkleRoot(portableHasher(), leaves(n)));
    }
  });

  it('merkletreejs and OpenZeppelin build trees whose proofs their own verifiers accept', () => {
    const data = leaves(13).map((l) => Buffer.from(sha256Buffer(l)));
    const js = merkletreejsBuild(data);
    const leaf = sha256Buffer(data[5] ?? Buffer.alloc(0));
    expect(js.verify(js.getProof(leaf, 5), leaf, js.getRoot())).toBe(true);
    const values = openZeppelinValues(data);
    const oz = openZeppelinBuild(values);
    const value = values[5] ?? ['0x'];
    expect(oz.verify(value, oz.getProof(value))).toBe(true);
  });
});
