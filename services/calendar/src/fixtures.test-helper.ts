import { encodeSeal, generateNoteKey, type RoundSeal, sealShard, verifierKeyOf } from '@msi/core';
import { type MerkleHasher, portableHasher } from '@msi/merkle';
import { streamV1 } from '@msi/proto';
import type { CalendarIdentity } from './anchored-round.js';
import type { SealMessage } from './seal-selection.js';

/** Test fixtures shared by the unit tests (no I/O). */
export const hasher: MerkleHasher = portableHasher();

/** A seal of `leaves` event leaf hashes (bytes filled with `fill`), built with core sealShard. */
export function makeSeal(
  shard: number,
  sealNumber: number,
  maxReceivedAt: number,
  options: { streamStart?: number; leaves?: number; fill?: number } = {},
): RoundSeal {
  const leaves = options.leaves ?? 2;
  const streamStart = options.streamStart ?? sealNumber * 10 + 1;
  const leafHashes = new Uint8Array(32 * leaves).fill(options.fill ?? shard * 31 + sealNumber);
  const { record } = sealShard(hasher, {
    shard,
    sealNumber,
    streamStart,
    streamEnd: streamStart + leaves,
    leafHashes,
    maxReceivedAt,
  });
  return { record, bytes: encodeSeal(record) };
}

/** The ShardSealed message bytes carrying `seal`. */
export function shardSealed(seal: RoundSeal, version = 1): Uint8Array {
  return streamV1.ShardSealed.encode({
    version,
    seal: Buffer.from(seal.bytes),
    aggregatorId: 'aggregator-test',
    leaseRevision: 7n,
    shardMapVersion: 0n,
  }).finish();
}

/** A seal-stream message at `seq` on the seal's own shard subject. */
export function sealMessage(seq: number, seal: RoundSeal, subjectShard = seal.record.shard): SealMessage {
  return { seq, subject: `test.seals.${subjectShard}`, data: shardSealed(seal) };
}

/** A deterministic log key (seed 1, 2, 3, …) named `name`. */
export function testKey(name = 'test.example/calendar', seedByte = 1) {
  return generateNoteKey(name, new Uint8Array(32).fill(seedByte));
}

export function identityOf(key: ReturnType<typeof testKey>, intervalMs = 1000): CalendarIdentity {
  return { origin: key.signer.name, intervalMs, verifierKey: verifierKeyOf(key.signer) };
}
