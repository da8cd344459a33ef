import { describe, expect, it } from 'vitest';
import { assembleProof, fetchProof } from './assemble-proof.js';
import { CompactRange } from './compact-range.js';
import { type MerkleHasher, portableHasher } from './hasher.js';
import { MerkleTree } from './merkle-tree.js';
import { consistencyNodes, inclusionNodes, isPerfect, type NodeAddress, nodesToFetch } from './nodes.js';
import { ProofError, type ProofErrorCode } from './proof-error.js';
import { testLeaves } from './reference.test-helper.js';

const hasher = portableHasher();
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const key = (n: NodeAddress): string => `${n.level}/${n.index}`;

function codeOf(run: () => unknown): ProofErrorCode | undefined {
  try {
    run();
  } catch (e) {
    if (e instanceof ProofError) return e.code;
    throw e;
  }
  return undefined;
}

/** A node store as a calendar keeps it: only the perfect nodes a CompactRange visitor reports. */
function storeOf(size: number): { store: Map<string, Uint8Array>; tree: MerkleTree } {
  const tree = MerkleTree.fromLeaves(hasher, testLeaves(size));
  const store = new Map<string, Uint8Array>();
  const range = new CompactRange(hasher);
  for (let i = 0; i < size; i++) {
    range.append(tree.leafHash(i), (level, index, hash) => store.set(key({ level, index }), hash));
  }
  return { store, tree };
}

function fetcherOf(store: Map<string, Uint8Array>, size: number, calls: NodeAddress[][]) {
  return async (nodes: readonly NodeAddress[]): Promise<Uint8Array[]> => {
    calls.push([...nodes]);
    return nodes.map((n) => {
      expect(isPerfect(n, size)).toBe(true);
      const hash = store.get(key(n));
      if (hash === undefined) throw new Error(`node ${key(n)} not stored`);
      return hash;
    });
  };
}

describe('proofs assembled from stored perfect nodes equal the in-memory tree proofs', () => {
  for (let size = 1; size <= 64; size++) {
    it(`size ${size}: every inclusion and consistency proof, one fetch each`, async () => {
      const { store, tree } = storeOf(size);
      const calls: NodeAddress[][] = [];
      const fetch = fetcherOf(store, size, calls);
      for (let index = 0; index < size; index++) {
        const proof = await fetchProof(hasher, inclusionNodes(index, size), size, fetch);
        expect(proof.map(hex)).toEqual(tree.inclusionProof(index).map(hex));
      }
      for (let oldSize = 1; oldSize <= size; oldSize++) {
        const proof = await fetchProof(hasher, consistencyNodes(oldSize, size), size, fetch);
        expect(proof.map(hex)).toEqual(tree.consistencyProof(oldSize).map(hex));
      }
      expect(calls.length).toBe(2 * size);
    });
  }
});

describe('assembleProof checks what storage returned before hashing', () => {
  const size = 7;
  const { store } = storeOf(size);
  const nodes = inclusionNodes(0, size); // (0,1), (1,1), (2,1)*: (2,1) folds (1,2) and (0,6)
  const fetched = nodesToFetch(nodes, size).map((n) => store.get(key(n)) as Uint8Array);

  function counting(): { h: MerkleHasher; calls: () => number } {
    let calls = 0;
    return {
      h: {
        ...hasher,
        hashChildren: (l, r) => {
          calls++;
          return hasher.hashChildren(l, r);
        },
      },
      calls: () => calls,
    };
  }

  it('folds the ephemeral node with one hash', () => {
    const { h, calls } = counting();
    expect(assembleProof(h, nodes, size, fetched)).toHaveLength(3);
    expect(calls()).toBe(1);
  });

  const cases: [string, Uint8Array[], ProofErrorCode][] = [
    ['one hash missing', fetched.slice(1), 'STATE_SIZE'],
    ['one hash too many', [...fetched, fetched[0] as Uint8Array], 'STATE_SIZE'],
    ['a short hash', [fetched[0] as Uint8Array, new Uint8Array(31), ...fetched.slice(2)], 'HASH_SIZE'],
  ];
  it.each(cases)('%s', (_, bad, code) => {
    const { h, calls } = counting();
    expect(codeOf(() => assembleProof(h, nodes, size, bad))).toBe(code);
    expect(calls()).toBe(0);
  });

  it('fetchProof passes the fetcher errors and bad answers on', async () => {
    await expect(fetchProof(hasher, nodes, size, () => fetched.slice(1))).rejects.toMatchObject({
      code: 'STATE_SIZE',
    });
    await expect(
      fetchProof(hasher, nodes, size, async () => {
        throw new Error('database down');
      }),
    ).rejects.toThrow('database down');
  });
});
