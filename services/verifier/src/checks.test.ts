import { encodeSeal } from '@msi/core';
import { nodeHasher } from '@msi/crypto-node';
import { MerkleTree } from '@msi/merkle';
import { describe, expect, it } from 'vitest';
import { checkSeal, locateSeals } from './checks.js';

const hasher = nodeHasher();
const leaf = (i: number) => hasher.hashLeaves([new Uint8Array([i])]);

describe('checkSeal', () => {
  const events = Array.from({ length: 5 }, (_, i) => ({ leafHash: leaf(i), receivedAt: 100 + i }));
  const packed = new Uint8Array(events.length * 32);
  events.forEach((e, i) => {
    packed.set(e.leafHash, i * 32);
  });
  const root = MerkleTree.fromLeafHashes(hasher, packed, 5).root();
  const seal = {
    shard: 1,
    sealNumber: 0,
    streamStart: 1,
    streamEnd: 3,
    leafCount: 5,
    maxReceivedAt: 104,
    root,
  };

  it('accepts the seal of its events and returns their leaf hashes, packed in order', () => {
    const result = checkSeal(hasher, seal, events);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value).toEqual(packed);
    expect(MerkleTree.fromLeafHashes(hasher, result.value, 5).root()).toEqual(root);
    expect(encodeSeal(seal).length).toBe(81);
  });

  it('rejects a forged root, a wrong count and a wrong max_received_at', () => {
    expect(checkSeal(hasher, { ...seal, root: new Uint8Array(32) }, events).ok).toBe(false);
    expect(checkSeal(hasher, seal, events.slice(1)).ok).toBe(false);
    expect(checkSeal(hasher, { ...seal, maxReceivedAt: 105 }, events).ok).toBe(false);
  });
});

describe('locateSeals', () => {
  const seal = (fill: number) => new Uint8Array(81).fill(fill);
  const published = [
    { streamSeq: 4, record: seal(1) },
    { streamSeq: 5, record: seal(2) },
    { streamSeq: 9, record: seal(3) },
  ];

  it('finds each carried seal, byte for byte, in [seals_start, seals_end)', () => {
    expect(locateSeals(4, 6, [seal(2), seal(1)], published)).toEqual({ sealSeqs: [5, 4], missing: 0 });
  });

  it('counts a seal published outside the range, or never, as missing', () => {
    expect(locateSeals(4, 9, [seal(1), seal(3), seal(7)], published)).toEqual({
      sealSeqs: [4, null, null],
      missing: 2,
    });
  });
});
