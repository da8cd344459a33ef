// TEST-ONLY: builds a small but complete MSI world — events → shard seals → rounds → calendar →
// signed, cosigned checkpoints — with the core alone, and hands out receipts. Never exported.
import { MerkleTree, portableHasher } from '@msi/merkle';
import { cosignCheckpoint, signCheckpoint } from '../checkpoint/index.js';
import { type DataEvent, encodeEvent, eventLeafHash } from '../event/index.js';
import { imprintOf } from '../imprint/index.js';
import { generateNoteKey, type NoteVerifierKey, verifierKeyOf } from '../note/index.js';
import { closeRound, encodeRound, type RoundSeal } from '../round/index.js';
import { encodeSeal, sealShard } from '../seal/index.js';
import { mintUuidV7 } from '../uuid/index.js';
import { assembleReceipt } from './build-receipt.js';
import type { Receipt } from './receipt.js';

export const hasher = portableHasher();
export const ORIGIN = 'msi.test/calendar';
const seed = (n: number) => new Uint8Array(32).fill(n);
export const logKey = generateNoteKey(ORIGIN, seed(1));
export const witnessA = generateNoteKey('witness.test/a', seed(2), 0x04);
export const witnessB = generateNoteKey('witness.test/b', seed(3), 0x04);
export const otherLogKey = generateNoteKey(ORIGIN, seed(9));

export const trustAll = {
  logKeys: [verifierKeyOf(logKey.signer)] as NoteVerifierKey[],
  witnessKeys: [verifierKeyOf(witnessA.signer), verifierKeyOf(witnessB.signer)] as NoteVerifierKey[],
};

const T0 = 1_764_000_000_000_000; // µs

function event(i: number): DataEvent {
  return {
    tenant: 'acme',
    eventId: mintUuidV7(1_764_000_000_000 + i, new Uint8Array(16).fill(i & 0xff)),
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
    attributes: [{ key: 'classification', value: i % 2 === 0 ? 'pii' : 'public' }],
    nonce: new Uint8Array(16).fill((i * 13) & 0xff),
  };
}

interface Located {
  readonly eventBytes: Uint8Array;
  readonly sealIndex: number; // which round-seal
  readonly eventIndex: number; // position in the seal
}

export interface World {
  /** Receipt for event `i` against the checkpoint at `size` (default: the calendar's full size). */
  receipt(i: number, size?: number): Receipt;
  /** The round that anchors event `i`. */
  roundOf(i: number): number;
  /** The whole tree of the seal that holds event `i`. */
  sealTreeOf(i: number): MerkleTree;
  readonly eventCount: number;
  /** The calendar tree (for extension proofs) and its cosigned checkpoint note at each size. */
  checkpointAt(size: number): string;
  consistency(oldSize: number, newSize: number): Uint8Array[];
  readonly calendarSize: number;
}

/**
 * `layout[r][s]` = number of events in seal s of round r (a round may have no seals). The calendar
 * holds one leaf per round; checkpoints are cosigned by both witnesses at `cosignTime`.
 */
export function buildWorld(layout: readonly (readonly number[])[], cosignTime = 1_764_000_100): World {
  let next = 0;
  const located: Located[] = [];
  const roundBytes: Uint8Array[] = [];
  const roundTrees: MerkleTree[] = [];
  const sealBytesByRound: Uint8Array[][] = [];
  const sealTrees: MerkleTree[][] = [];
  let previousClosedAt: number | null = null;
  let sealsEnd = 1;
  layout.forEach((seals, k) => {
    const roundSeals: RoundSeal[] = [];
    const trees: MerkleTree[] = [];
    seals.forEach((count, s) => {
      const bytes = Array.from({ length: count }, () => encodeEvent(event(next++)));
      const packed = new Uint8Array(count * 32);
      for (const [j, b] of bytes.entries()) packed.set(eventLeafHash(hasher, b), j * 32);
      const sealed = sealShard(hasher, {
        shard: s,
        sealNumber: k,
        streamStart: 1 + next - count,
        streamEnd: 1 + next,
        leafHashes: packed,
        maxReceivedAt: T0 + 1000 + next - 1,
      });
      roundSeals.push({ record: sealed.record, bytes: encodeSeal(sealed.record) });
      trees.push(sealed.tree);
      for (const [j, b] of bytes.entries()) located.push({ eventBytes: b, sealIndex: s, eventIndex: j });
    });
    const closedAt: number = T0 + 1_000_000 * (k + 1);
    const closed = closeRound(hasher, {
      round: k,
      closedAt,
      intervalMs: 1000,
      sealsStart: sealsEnd,
      sealsEnd: sealsEnd + seals.length,
      seals: roundSeals,
      previousClosedAt,
    });
    previousClosedAt = closedAt;
    sealsEnd += seals.length;
    // shards are numbered by position, so (shard, seal_number) order is the order built here
    roundBytes.push(encodeRound(closed.record));
    roundTrees.push(closed.tree);
    sealBytesByRound.push(closed.orderedSeals.map((seal) => seal.bytes));
    sealTrees.push(trees);
  });
  const calendar = { size: roundBytes.length };
  const checkpointAt = (size: number): string => {
    const prefix = MerkleTree.fromLeaves(hasher, roundBytes.slice(0, size));
    const note = signCheckpoint({ origin: ORIGIN, size, root: prefix.root(), extensions: [] }, logKey.signer);
    return cosignCheckpoint(
      cosignCheckpoint(note, witnessA.signer, cosignTime),
      witnessB.signer,
      cosignTime + 5,
    );
  };
  const roundOfEvent: number[] = [];
  layout.forEach((seals, k) => {
    for (const count of seals) for (let j = 0; j < count; j++) roundOfEvent.push(k);
  });
  return {
    eventCount: located.length,
    calendarSize: roundBytes.length,
    checkpointAt,
    consistency: (oldSize, newSize) =>
      MerkleTree.fromLeaves(hasher, roundBytes.slice(0, newSize)).consistencyProof(oldSize),
    roundOf: (i) => roundOfEvent[i] ?? -1,
    sealTreeOf(i) {
      const tree = sealTrees[roundOfEvent[i] ?? -1]?.[located[i]?.sealIndex ?? -1];
      if (tree === undefined) throw new Error(`no event ${i}`);
      return tree;
    },
    receipt(i, size = calendar.size) {
      const at = located[i];
      const k = roundOfEvent[i];
      if (at === undefined || k === undefined) throw new Error(`no event ${i}`);
      const sealTree = sealTrees[k]?.[at.sealIndex];
      const roundTree = roundTrees[k];
      const sealBytes = sealBytesByRound[k]?.[at.sealIndex];
      const round = roundBytes[k];
      if (
        sealTree === undefined ||
        roundTree === undefined ||
        sealBytes === undefined ||
        round === undefined
      ) {
        throw new Error('world is inconsistent');
      }
      return assembleReceipt({
        event: at.eventBytes,
        eventProof: {
          leafIndex: at.eventIndex,
          treeSize: sealTree.size,
          hashes: sealTree.inclusionProof(at.eventIndex),
        },
        seal: sealBytes,
        sealProof: {
          leafIndex: at.sealIndex,
          treeSize: roundTree.size,
          hashes: roundTree.inclusionProof(at.sealIndex),
        },
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
