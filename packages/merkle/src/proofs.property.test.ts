// Property tests over random trees: every proof the tree produces verifies, and every mutation of a
// proof claim is rejected with a ProofError. For each sampled claim, every hash mutation is tried:
// a bit flipped in each hash (proof hashes, leaf, roots), each proof hash dropped, a hash inserted at
// each position, each adjacent pair swapped, and the roots swapped.
//
// Changing only the index or a size of a claim is judged by the RFC 9162 step-by-step algorithm
// (reference.test-helper.ts): a proof does not commit to the tree size beyond its shape (leaf 0 of 5
// and leaf 0 of 6 have proofs of the same shape), so such a claim must be rejected exactly when the
// RFC algorithm rejects it; another index in the same tree must always be rejected.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { portableHasher } from './hasher.js';
import { MerkleTree } from './merkle-tree.js';
import { ProofError } from './proof-error.js';
import { rfcVerifyConsistency, rfcVerifyInclusion, testLeaves } from './reference.test-helper.js';
import { verifyConsistency, verifyInclusion } from './verify.js';

const hasher = portableHasher();

/** Runs a verification: 'ok', or 'rejected' for a ProofError (anything else is a bug and is thrown). */
function outcome(run: () => void): 'ok' | 'rejected' {
  try {
    run();
    return 'ok';
  } catch (e) {
    if (e instanceof ProofError) return 'rejected';
    throw e;
  }
}

/** A claim as hashes: the proof, and the claim's other hashes (leaf and root, or root1 and root2). */
interface Hashes {
  proof: Uint8Array[];
  others: Uint8Array[];
}

/** Every hash mutation of a claim, each a fresh copy. `seed` picks the bits to flip and the extra hash. */
function hashMutations(claim: Hashes, seed: Mutations): [string, Hashes][] {
  const copy = (): Hashes => ({
    proof: claim.proof.map((h) => h.slice()),
    others: claim.others.map((h) => h.slice()),
  });
  const out: [string, Hashes][] = [];
  const flip = (h: Uint8Array, i: number): void => {
    const byte = (seed.byte + i) % h.length;
    h[byte] = (h[byte] as number) ^ (1 << ((seed.bit + i) % 8));
  };
  claim.proof.forEach((_, i) => {
    const c = copy();
    flip(c.proof[i] as Uint8Array, i);
    out.push([`flip proof[${i}]`, c]);
    const d = copy();
    d.proof.splice(i, 1);
    out.push([`drop proof[${i}]`, d]);
    if (i + 1 < claim.proof.length) {
      const s = copy();
      [s.proof[i], s.proof[i + 1]] = [s.proof[i + 1] as Uint8Array, s.proof[i] as Uint8Array];
      out.push([`swap proof[${i}], proof[${i + 1}]`, s]);
    }
  });
  claim.others.forEach((_, i) => {
    const c = copy();
    flip(c.others[i] as Uint8Array, i);
    out.push([`flip other[${i}]`, c]);
  });
  for (let at = 0; at <= claim.proof.length; at++) {
    const c = copy();
    c.proof.splice(at, 0, seed.extra.slice());
    out.push([`insert at ${at}`, c]);
  }
  return out;
}

/** The number changes to try: each maps the old value to a new one. */
const numberChange = fc.oneof(
  fc.integer({ min: -3, max: 3 }).map((delta) => (old: number) => old + delta),
  fc.constantFrom(
    (old: number) => old * 2,
    (old: number) => Math.floor(old / 2),
    (old: number) => old ^ 1,
    (old: number) => old ^ 2,
  ),
  fc.integer({ min: -1, max: 5000 }).map((value) => (_old: number) => value),
);

interface Mutations {
  byte: number;
  bit: number;
  extra: Uint8Array;
  changes: ((old: number) => number)[];
}

const mutations: fc.Arbitrary<Mutations> = fc.record({
  byte: fc.nat(31),
  bit: fc.nat(7),
  extra: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  changes: fc.array(numberChange, { minLength: 2, maxLength: 6 }),
});

// A position in [0, n) is `pick % n` (fc.double fractions cluster at 0 and 1).
const pick = fc.integer({ min: 0, max: 2 ** 31 - 1 });
const treeArb = fc.record({ size: fc.integer({ min: 1, max: 3000 }), prefix: fc.string({ maxLength: 3 }) });

describe('every proof of every tree up to 64 leaves verifies', () => {
  it('inclusion and consistency', () => {
    let checked = 0;
    for (let size = 1; size <= 64; size++) {
      const tree = MerkleTree.fromLeaves(hasher, testLeaves(size));
      for (let index = 0; index < size; index++) {
        verifyInclusion(hasher, index, size, tree.leafHash(index), tree.inclusionProof(index), tree.root());
        checked++;
      }
      for (let old = 1; old <= size; old++) {
        const oldRoot = MerkleTree.fromLeaves(hasher, testLeaves(old)).root();
        verifyConsistency(hasher, old, size, tree.consistencyProof(old), oldRoot, tree.root());
        checked++;
      }
    }
    expect(checked).toBe(2 * ((64 * 65) / 2));
  });
});

describe('inclusion proofs of random trees', () => {
  it('verify, and every mutated claim is rejected', () => {
    fc.assert(
      fc.property(
        treeArb,
        fc.array(fc.tuple(pick, mutations), { minLength: 1, maxLength: 4 }),
        (t, checks) => {
          const tree = MerkleTree.fromLeaves(hasher, testLeaves(t.size, t.prefix));
          const root = tree.root();
          for (const [p, m] of checks) {
            const index = p % t.size;
            const leaf = tree.leafHash(index);
            const proof = tree.inclusionProof(index);
            const verify = (i: number, n: number, h: Hashes): 'ok' | 'rejected' =>
              outcome(() =>
                verifyInclusion(hasher, i, n, h.others[0] as Uint8Array, h.proof, h.others[1] as Uint8Array),
              );
            expect(verify(index, t.size, { proof, others: [leaf, root] })).toBe('ok');

            for (const [what, bad] of hashMutations({ proof, others: [leaf, root] }, m)) {
              const [badLeaf, badRoot] = bad.others as [Uint8Array, Uint8Array];
              expect(rfcVerifyInclusion(index, t.size, badLeaf, bad.proof, badRoot), what).toBe(false);
              expect(verify(index, t.size, bad), what).toBe('rejected');
            }
            for (const change of m.changes) {
              for (const [i, n] of [
                [change(index), t.size],
                [index, change(t.size)],
              ] as const) {
                if (i === index && n === t.size) continue;
                const rfc = rfcVerifyInclusion(i, n, leaf, proof, root);
                if (n === t.size) expect(rfc).toBe(false); // another leaf of the same tree: never
                expect(verify(i, n, { proof, others: [leaf, root] }), `index ${i}, size ${n}`).toBe(
                  rfc ? 'ok' : 'rejected',
                );
              }
            }
          }
        },
      ),
      { numRuns: 30 },
    );
  });
});

describe('consistency proofs of random trees', () => {
  it('verify, and every mutated claim is rejected', () => {
    fc.assert(
      fc.property(
        treeArb,
        fc.array(fc.tuple(pick, mutations), { minLength: 1, maxLength: 3 }),
        (t, checks) => {
          const leaves = testLeaves(t.size, t.prefix);
          const tree = MerkleTree.fromLeaves(hasher, leaves);
          const root2 = tree.root();
          for (const [p, m] of checks) {
            const size1 = 1 + (p % t.size);
            const root1 = MerkleTree.fromLeaves(hasher, leaves.slice(0, size1)).root();
            const proof = tree.consistencyProof(size1);
            const verify = (n1: number, n2: number, h: Hashes): 'ok' | 'rejected' =>
              outcome(() =>
                verifyConsistency(
                  hasher,
                  n1,
                  n2,
                  h.proof,
                  h.others[0] as Uint8Array,
                  h.others[1] as Uint8Array,
                ),
              );
            expect(verify(size1, t.size, { proof, others: [root1, root2] })).toBe('ok');

            const swapped: [string, Hashes][] =
              size1 < t.size ? [['swap roots', { proof, others: [root2, root1] }]] : [];
            for (const [what, bad] of [...hashMutations({ proof, others: [root1, root2] }, m), ...swapped]) {
              const [r1, r2] = bad.others as [Uint8Array, Uint8Array];
              expect(rfcVerifyConsistency(size1, t.size, bad.proof, r1, r2), what).toBe(false);
              expect(verify(size1, t.size, bad), what).toBe('rejected');
            }
            for (const change of m.changes) {
              for (const [n1, n2] of [
                [change(size1), t.size],
                [size1, change(t.size)],
              ] as const) {
                if (n1 === size1 && n2 === t.size) continue;
                const rfc = rfcVerifyConsistency(n1, n2, proof, root1, root2);
                expect(verify(n1, n2, { proof, others: [root1, root2] }), `sizes ${n1}, ${n2}`).toBe(
                  rfc ? 'ok' : 'rejected',
                );
              }
            }
          }
        },
      ),
      { numRuns: 30 },
    );
  });
});
