// checkReceiptProofs with the seal's whole tree (what a server that assembled the event proof from it
// passes): the same verdict and result as hashing the proof up, for every receipt and every tampering.
import { MerkleTree } from '@msi/merkle';
import { describe, expect, it } from 'vitest';
import { CheckedAnchors } from './checked-anchors.js';
import type { Receipt } from './receipt.js';
import { buildWorld, hasher } from './receipt-world.test-helper.js';
import { flipped, outcome } from './verdict.test-helper.js';
import { checkReceiptProofs } from './verify-receipt.js';

const world = buildWorld([[4, 3], [], [5, 1], [2, 2]]);

describe('checkReceiptProofs against the seal tree', () => {
  it('gives every receipt the result it gives by hashing the proof up, with and without the anchors memo', () => {
    const anchors = new CheckedAnchors(4);
    for (let i = 0; i < world.eventCount; i++) {
      const receipt = world.receipt(i);
      const tree = world.sealTreeOf(i);
      const plain = checkReceiptProofs(receipt, hasher);
      expect(checkReceiptProofs(receipt, hasher, undefined, tree)).toEqual(plain);
      expect(checkReceiptProofs(receipt, hasher, anchors, tree)).toEqual(plain);
      expect(checkReceiptProofs(receipt, hasher, anchors, tree)).toEqual(plain);
    }
  });

  it.each<[string, (r: Receipt) => Receipt]>([
    ['the event changed', (r) => ({ ...r, event: flipped(r.event) })],
    [
      'an event proof hash changed',
      (r) => ({ ...r, eventProof: { ...r.eventProof, hashes: r.eventProof.hashes.map(flipped) } }),
    ],
    [
      'the proof has a hash too few',
      (r) => ({ ...r, eventProof: { ...r.eventProof, hashes: r.eventProof.hashes.slice(1) } }),
    ],
    [
      'the proof is of another leaf',
      (r) => ({ ...r, eventProof: { ...r.eventProof, leafIndex: r.eventProof.leafIndex + 1 } }),
    ],
    ['the leaf index is past the seal', (r) => ({ ...r, eventProof: { ...r.eventProof, leafIndex: 99 } })],
  ])('refuses it, as hashing up does, when %s', (_name, tamper) => {
    const tampered = tamper(world.receipt(1)); // seal of 4 events: leaf 1 has a sibling on every level
    expect(outcome(() => checkReceiptProofs(tampered, hasher)).verdict).toBe('EVENT_PROOF_INVALID');
    expect(outcome(() => checkReceiptProofs(tampered, hasher, undefined, world.sealTreeOf(1))).verdict).toBe(
      'EVENT_PROOF_INVALID',
    );
    expect(
      outcome(() => checkReceiptProofs(tampered, hasher, new CheckedAnchors(), world.sealTreeOf(1))).verdict,
    ).toBe('EVENT_PROOF_INVALID');
  });

  it('refuses a tree that is not the seal’s: another seal’s, or one with a leaf changed', () => {
    const receipt = world.receipt(1);
    const other = world.sealTreeOf(5); // the next seal of the same round
    expect(other.root()).not.toEqual(world.sealTreeOf(1).root());
    expect(outcome(() => checkReceiptProofs(receipt, hasher, undefined, other)).verdict).toBe(
      'EVENT_PROOF_INVALID',
    );
    const leaves = new Uint8Array(4 * 32);
    for (let j = 0; j < 4; j++) leaves.set(world.sealTreeOf(1).leafHash(j), j * 32);
    leaves[3 * 32] = (leaves[3 * 32] ?? 0) ^ 1; // leaf 3: not the event's, but the root moves
    const changed = MerkleTree.fromLeafHashes(hasher, leaves, 4);
    expect(outcome(() => checkReceiptProofs(receipt, hasher, undefined, changed)).verdict).toBe(
      'EVENT_PROOF_INVALID',
    );
    // the receipt's proof taken from that tree: leaf and proof agree with it, only its root does not
    const agreeing = { ...receipt, eventProof: { ...receipt.eventProof, hashes: changed.inclusionProof(1) } };
    expect(outcome(() => checkReceiptProofs(agreeing, hasher)).verdict).toBe('EVENT_PROOF_INVALID');
    expect(outcome(() => checkReceiptProofs(agreeing, hasher, undefined, changed)).verdict).toBe(
      'EVENT_PROOF_INVALID',
    );
    expect(outcome(() => checkReceiptProofs(agreeing, hasher, new CheckedAnchors(), changed)).verdict).toBe(
      'EVENT_PROOF_INVALID',
    );
  });
});
