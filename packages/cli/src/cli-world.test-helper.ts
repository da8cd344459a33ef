// TEST-ONLY: a tiny but complete MSI world built with the core — events → one shard seal per round →
// rounds → calendar → signed, cosigned checkpoints — that hands out receipts for the CLI's tests.
import {
  assembleReceipt,
  closeRound,
  cosignCheckpoint,
  type DataEvent,
  encodeEvent,
  encodeRound,
  encodeSeal,
  eventLeafHash,
  generateNoteKey,
  imprintOf,
  mintUuidV7,
  type Receipt,
  sealShard,
  signCheckpoint,
} from '@msi/core';
import { MerkleTree, portableHasher } from '@msi/merkle';

const hasher = portableHasher();
const seed = (n: number) => new Uint8Array(32).fill(n);
export const ORIGIN = 'msi.test/calendar';
export const logKey = generateNoteKey(ORIGIN, seed(1));
export const otherLogKey = generateNoteKey(ORIGIN, seed(9));
export const witnessA = generateNoteKey('witness.test/a', seed(2), 0x04);
export const witnessB = generateNoteKey('witness.test/b', seed(3), 0x04);
/** Cosignature time of witness A (B cosigns 5 s later), seconds since the epoch. */
export const COSIGN_TIME = 1_764_000_100;
const T0 = 1_764_000_000_000_000; // µs

export function worldEvent(i: number): DataEvent {
  return {
    tenant: 'acme',
    eventId: mintUuidV7(1_764_000_000_000 + i, new Uint8Array(16).fill(i + 1)),
    kind: 'STORE',
    data: imprintOf('sha256', new TextEncoder().encode(`file-${i}`)),
    inputs: [],
    outputs: [],
    toTenant: '',
    actor: 'alice',
    submitter: 'gateway',
    source: { system: 's3', region: 'eu-west-1', host: '' },
    destination: { system: '', region: '', host: '' },
    occurredAt: T0 + i,
    receivedAt: T0 + 1000 + i,
    parents: [],
    attributes: [],
    nonce: new Uint8Array(16).fill(i + 7),
  };
}

export interface CliWorld {
  /** The receipt of event `i` (round ⌊i / perRound⌋) against the checkpoint of `size` rounds. */
  receipt(i: number, size?: number): Receipt;
  /** The checkpoint note of the first `size` rounds, signed by `signer` and cosigned by both witnesses. */
  checkpointAt(size: number, signer?: typeof logKey): string;
  consistency(oldSize: number, newSize: number): Uint8Array[];
  /** A checkpoint of `size` rounds whose history was rewritten (round 0 replaced), properly signed. */
  forkedCheckpointAt(size: number): string;
  readonly closedAt: (round: number) => number;
  readonly rounds: number;
}

/** `rounds` rounds of one seal of `perRound` events each; event i is `eventOf(i)`. */
export function buildCliWorld(
  rounds: number,
  perRound: number,
  eventOf: (i: number) => DataEvent = worldEvent,
): CliWorld {
  const eventBytes: Uint8Array[] = [];
  const sealTrees: MerkleTree[] = [];
  const roundTrees: MerkleTree[] = [];
  const sealBytes: Uint8Array[] = [];
  const roundBytes: Uint8Array[] = [];
  const closedAt = (k: number) => T0 + 1_000_000 * (k + 1);
  for (let k = 0; k < rounds; k++) {
    const bytes = Array.from({ length: perRound }, (_, j) => encodeEvent(eventOf(k * perRound + j)));
    eventBytes.push(...bytes);
    const packed = new Uint8Array(perRound * 32);
    for (const [j, b] of bytes.entries()) packed.set(eventLeafHash(hasher, b), j * 32);
    const sealed = sealShard(hasher, {
      shard: 0,
      sealNumber: k,
      streamStart: 1 + k * perRound,
      streamEnd: 1 + (k + 1) * perRound,
      leafHashes: packed,
      maxReceivedAt: T0 + 1000 + (k + 1) * perRound - 1,
    });
    const seal = { record: sealed.record, bytes: encodeSeal(sealed.record) };
    const closed = closeRound(hasher, {
      round: k,
      closedAt: closedAt(k),
      intervalMs: 1000,
      sealsStart: 1 + k,
      sealsEnd: 2 + k,
      seals: [seal],
      previousClosedAt: k === 0 ? null : closedAt(k - 1),
    });
    sealTrees.push(sealed.tree);
    sealBytes.push(seal.bytes);
    roundTrees.push(closed.tree);
    roundBytes.push(encodeRound(closed.record));
  }
  const sign = (leaves: Uint8Array[], signer = logKey) => {
    const root = MerkleTree.fromLeaves(hasher, leaves).root();
    const note = signCheckpoint({ origin: ORIGIN, size: leaves.length, root, extensions: [] }, signer.signer);
    return cosignCheckpoint(
      cosignCheckpoint(note, witnessA.signer, COSIGN_TIME),
      witnessB.signer,
      COSIGN_TIME + 5,
    );
  };
  const checkpointAt = (size: number, signer = logKey) => sign(roundBytes.slice(0, size), signer);
  return {
    rounds,
    closedAt,
    checkpointAt,
    consistency: (oldSize, newSize) =>
      MerkleTree.fromLeaves(hasher, roundBytes.slice(0, newSize)).consistencyProof(oldSize),
    forkedCheckpointAt: (size) => {
      const rewritten = roundBytes.slice(0, size);
      rewritten[0] = new Uint8Array(rewritten[0] ?? []).fill(0x42, 0, 1);
      return sign(rewritten);
    },
    receipt(i, size = rounds) {
      const k = Math.floor(i / perRound);
      const j = i % perRound;
      const [event, sealTree, seal, roundTree, round] = [
        eventBytes[i],
        sealTrees[k],
        sealBytes[k],
        roundTrees[k],
        roundBytes[k],
      ];
      if (!event || !sealTree || !seal || !roundTree || !round) throw new Error(`no event ${i}`);
      return assembleReceipt({
        event,
        eventProof: { leafIndex: j, treeSize: sealTree.size, hashes: sealTree.inclusionProof(j) },
        seal,
        sealProof: { leafIndex: 0, treeSize: roundTree.size, hashes: roundTree.inclusionProof(0) },
        round,
        roundProof: {
          leafIndex: k,
          treeSize: size,
          hashes: MerkleTree.fromLeaves(hasher, roundBytes.slice(0, size)).inclusionProof(k),
        },
        checkpoint: checkpointAt(size),
      });
    },
  };
}
