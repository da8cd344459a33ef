import { portableEd25519, verifierKeyOf } from '@msi/core';
import { nodeHasher } from '@msi/crypto-node';
import { MerkleTree } from '@msi/merkle';
import { describe, expect, it } from 'vitest';
import { type DecisionContext, decideAddCheckpoint, type LogState } from './decide-add-checkpoint.js';
import { TestLog } from './fixtures.test-helper.js';

const hasher = nodeHasher();
const log = TestLog.create('example.org/log').append(20);

function context(stored: LogState | undefined): DecisionContext {
  return {
    logKeys: new Map([[log.key.signer.name, [verifierKeyOf(log.key.signer)]]]),
    stateOf: (origin) => (origin === log.key.signer.name ? stored : undefined),
    hasher,
    ed: portableEd25519(),
  };
}

const stateAt = (size: number): LogState => ({
  size,
  root: MerkleTree.fromLeaves(hasher, log.leaves.slice(0, size)).root(),
});

describe('decideAddCheckpoint', () => {
  it('cosigns every consistent step, from every earlier size', () => {
    for (let old = 1; old <= 20; old += 3) {
      for (const size of [old, old + 1, 20]) {
        if (size > 20) continue;
        const decision = decideAddCheckpoint(log.request(old, size), context(stateAt(old)));
        expect(decision).toMatchObject({ kind: 'cosign', next: stateAt(size) });
      }
    }
  });

  it('refuses a proof that is one bit off, or of the wrong length, as INCONSISTENT', () => {
    const request = log.request(7, 20);
    const flipped = request.proof.map((hash, i) =>
      i === 1 ? Uint8Array.of((hash[0] ?? 0) ^ 1, ...hash.subarray(1)) : hash,
    );
    for (const proof of [
      flipped,
      request.proof.slice(1),
      [...request.proof, request.proof[0] as Uint8Array],
    ]) {
      expect(decideAddCheckpoint({ ...request, proof }, context(stateAt(7)))).toMatchObject({
        kind: 'refuse',
        code: 'INCONSISTENT',
        currentSize: 7,
      });
    }
  });

  it('refuses a non-empty proof from size 0, and a smaller tree after a larger one', () => {
    const fromZero = { ...log.request(0, 5), proof: log.request(1, 5).proof };
    expect(decideAddCheckpoint(fromZero, context(undefined))).toMatchObject({ code: 'INCONSISTENT' });
    expect(decideAddCheckpoint(log.request(0, 5), context(stateAt(9)))).toMatchObject({
      code: 'OLD_SIZE_MISMATCH',
      currentSize: 9,
    });
    expect(decideAddCheckpoint({ ...log.request(0, 5), oldSize: 9 }, context(stateAt(9)))).toMatchObject({
      code: 'OLD_SIZE_TOO_LARGE',
    });
  });

  it('refuses a different root at the stored size, and carries the checkpoint as evidence', () => {
    const fork = log.fork(3).append(5);
    const decision = decideAddCheckpoint(fork.request(8, 8), context(stateAt(8)));
    expect(decision).toMatchObject({ kind: 'refuse', code: 'SAME_SIZE_OTHER_ROOT', checkpoint: { size: 8 } });
  });
});
