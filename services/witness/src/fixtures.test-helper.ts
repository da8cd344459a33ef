import { randomBytes } from 'node:crypto';
import { type GeneratedNoteKey, generateNoteKey, type NoteSigner, signCheckpoint } from '@msi/core';
import { nodeHasher } from '@msi/crypto-node';
import { MerkleTree } from '@msi/merkle';
import type { AddCheckpointRequest } from '@msi/witness-client';

const hasher = nodeHasher();

/** A test log: random leaves, signed checkpoints and consistency proofs between any two sizes. */
export class TestLog {
  readonly leaves: Uint8Array[] = [];

  constructor(readonly key: GeneratedNoteKey) {}

  /** A log with a fresh random Ed25519 key named `origin`. */
  static create(origin: string): TestLog {
    return new TestLog(generateNoteKey(origin, randomBytes(32)));
  }

  /** Another log signing with the same key, sharing the first `common` leaves: a fork after them. */
  fork(common: number): TestLog {
    const other = new TestLog(this.key);
    other.leaves.push(...this.leaves.slice(0, common));
    return other;
  }

  append(count: number): this {
    for (let i = 0; i < count; i++) this.leaves.push(randomBytes(1 + (i % 40)));
    return this;
  }

  get size(): number {
    return this.leaves.length;
  }

  /** The checkpoint note of the first `size` leaves, signed by `signer` (default: the log key). */
  checkpoint(size = this.size, signer: NoteSigner = this.key.signer): string {
    const root = MerkleTree.fromLeaves(hasher, this.leaves.slice(0, size)).root();
    return signCheckpoint({ origin: signer.name, size, root, extensions: [] }, signer);
  }

  /** The add-checkpoint request from `oldSize` to the current size. */
  request(oldSize: number, size = this.size): AddCheckpointRequest {
    const tree = MerkleTree.fromLeaves(hasher, this.leaves.slice(0, size));
    const proof = oldSize === 0 ? [] : tree.consistencyProof(oldSize);
    return { oldSize, proof, checkpoint: this.checkpoint(size) };
  }
}
