import { type MerkleHasher, MerkleTree, merkleRoot, portableHasher, verifyInclusion } from '@msi/merkle';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import events from '../../testdata/events.json' with { type: 'json' };
import seals from '../../testdata/seals.json' with { type: 'json' };
import { decodeEvent } from '../event/decode-event.js';
import { encodeSeal } from './seal-codec.js';
import { SealError, type SealErrorCode } from './seal-error.js';
import { type SealShardInput, sealShard } from './seal-shard.js';

const hasher = portableHasher();

/** The portable hasher, counting every hash it computes. */
function countingHasher(): { counting: MerkleHasher; calls: () => number } {
  let calls = 0;
  const count = <T>(result: T): T => {
    calls++;
    return result;
  };
  const counting: MerkleHasher = {
    name: 'counting',
    hashLeaf: (d) => count(hasher.hashLeaf(d)),
    hashChildren: (l, r) => count(hasher.hashChildren(l, r)),
    emptyRoot: () => count(hasher.emptyRoot()),
    hashLeaves: (leaves) => count(hasher.hashLeaves(leaves)),
    hashPairs: (level, n) => count(hasher.hashPairs(level, n)),
  };
  return { counting, calls: () => calls };
}
const canonicalOf = (name: string): Uint8Array =>
  hexToBytes(events.vectors.find((v) => v.name === name)?.canonical ?? '');

function failure(action: () => unknown): { code: SealErrorCode; field: string } | undefined {
  try {
    action();
  } catch (error) {
    if (error instanceof SealError) return { code: error.code, field: error.field };
    throw error;
  }
  return undefined;
}

describe('sealShard against testdata/seals.json', () => {
  it.each(seals.vectors)('$name', ({ input, events: names, record, bytes }) => {
    const leafHashes = hexToBytes(input.leafHashes.join(''));
    const { record: sealed, tree } = sealShard(hasher, { ...input, leafHashes });
    expect({ ...sealed, root: bytesToHex(sealed.root) }).toEqual(record);
    expect(bytesToHex(encodeSeal(sealed))).toBe(bytes);
    // The root is MTH over the canonical events, and the max received_at is theirs.
    const canonicals = names.map(canonicalOf);
    expect(bytesToHex(sealed.root)).toBe(bytesToHex(merkleRoot(hasher, canonicals)));
    expect(sealed.maxReceivedAt).toBe(Math.max(...canonicals.map((c) => decodeEvent(c).receivedAt)));
    // Every event has a valid inclusion proof in the seal's tree.
    expect(tree.size).toBe(canonicals.length);
    canonicals.forEach((canonical, i) => {
      verifyInclusion(hasher, i, tree.size, hasher.hashLeaf(canonical), tree.inclusionProof(i), sealed.root);
    });
  });
});

describe('sealShard validates before hashing', () => {
  const leafHashes = new Uint8Array(3 * 32).fill(7);
  const base: SealShardInput = {
    shard: 2,
    sealNumber: 9,
    streamStart: 10,
    streamEnd: 12,
    leafHashes,
    maxReceivedAt: 5,
  };

  it('builds the tree over the packed leaf hashes as given', () => {
    const { record, tree } = sealShard(hasher, base);
    expect(record.leafCount).toBe(3);
    expect(bytesToHex(record.root)).toBe(bytesToHex(MerkleTree.fromLeafHashes(hasher, leafHashes, 3).root()));
    expect(bytesToHex(tree.leafHash(2))).toBe(bytesToHex(leafHashes.subarray(64)));
  });

  it('copies the leaf hashes', () => {
    const mine = leafHashes.slice();
    const { record } = sealShard(hasher, { ...base, leafHashes: mine });
    mine.fill(0);
    expect(bytesToHex(record.root)).toBe(bytesToHex(sealShard(hasher, base).record.root));
  });

  const cases: [string, Partial<SealShardInput>, SealErrorCode, string][] = [
    ['no leaves', { leafHashes: new Uint8Array(0) }, 'EMPTY_SEAL', 'leaf_count'],
    ['a partial leaf hash', { leafHashes: new Uint8Array(65) }, 'LEAF_HASHES_SIZE', 'leaf_count'],
    ['stream_start = stream_end', { streamEnd: 10 }, 'STREAM_RANGE', 'stream_end'],
    ['shard 2^32', { shard: 2 ** 32 }, 'FIELD_RANGE', 'shard'],
    ['a negative seal_number', { sealNumber: -1 }, 'FIELD_RANGE', 'seal_number'],
    ['max_received_at 0', { maxReceivedAt: 0 }, 'TIME_INVALID', 'max_received_at'],
  ];
  it('hashes when the input is valid (the counter below works)', () => {
    const { counting, calls } = countingHasher();
    sealShard(counting, base);
    expect(calls()).toBeGreaterThan(0);
  });

  it.each(cases)('rejects %s', (_name, changes, code, field) => {
    const { counting, calls } = countingHasher();
    expect(failure(() => sealShard(counting, { ...base, ...changes }))).toEqual({ code, field });
    expect(calls()).toBe(0);
  });
});
