// TEST-ONLY: a client's local tree of aggregated events whose root event is anchored in a small
// calendar built with the core alone (one seal among others, rounds, cosigned checkpoints), and the
// receipts v2 of its events. Never exported.
import { MerkleTree } from '@msi/merkle';
import { type AggregatedEvent, encodeAggregatedEvent, rootEventFields } from '../aggregate/index.js';
import { cosignCheckpoint, signCheckpoint } from '../checkpoint/index.js';
import { type DataEvent, encodeEvent, eventLeafHash } from '../event/index.js';
import { imprintOf } from '../imprint/index.js';
import { closeRound, encodeRound } from '../round/index.js';
import { encodeSeal, sealShard } from '../seal/index.js';
import { mintUuidV7 } from '../uuid/index.js';
import type { AggregatedReceipt } from './aggregated-receipt.js';
import { assembleReceipt } from './build-receipt.js';
import type { Receipt } from './receipt.js';
import { hasher, logKey, ORIGIN, witnessA, witnessB } from './receipt-world.test-helper.js';

const T0 = 1_764_000_000_000_000; // µs
const text = (s: string) => new TextEncoder().encode(s);

/** Aggregated event i of a local tree: a PROCESS now and then, STORE otherwise. */
export function aggregatedEvent(i: number): AggregatedEvent {
  const process = i % 3 === 2;
  return {
    eventId: mintUuidV7(1_764_000_000_000 + i, new Uint8Array(16).fill((i * 5 + 1) & 0xff)),
    kind: process ? 'PROCESS' : 'STORE',
    data: imprintOf('sha256', text(`object-${i}`)),
    inputs: process ? [imprintOf('sha256', text(`in-${i}`))] : [],
    outputs: process ? [imprintOf('sha3-256', text(`out-${i}`))] : [],
    toTenant: '',
    actor: 'sensor-7',
    source: { system: 'edge', region: 'eu-west-1', host: '' },
    destination: { system: '', region: '', host: '' },
    occurredAt: T0 + i,
    parents: [],
    attributes: [{ key: 'batch', value: 'b1' }],
    nonce: new Uint8Array(16).fill((i * 29 + 3) & 0xff),
  };
}

/** A v1 event of the calendar (other submitters' events around the root event). */
function otherEvent(i: number): DataEvent {
  return {
    ...aggregatedEvent(1000 + i),
    tenant: 'acme',
    submitter: 'someone-else',
    receivedAt: T0 + 500 + i,
  };
}

export interface AggregateWorld {
  readonly events: readonly AggregatedEvent[];
  readonly eventBytes: readonly Uint8Array[];
  readonly localTree: MerkleTree;
  readonly rootEvent: DataEvent;
  readonly rootReceipt: Receipt;
  receipt(i: number): AggregatedReceipt;
}

/**
 * A local tree of `leaves` events; its root event (tenant acme, submitter gateway) is event
 * `position` of a seal of `sealSize` events in round 1 of a 3-round calendar, whose checkpoint is
 * signed by logKey and cosigned by witnesses A and B. `rootOverrides` change the root event (to make
 * one that is not a valid root event).
 */
export function buildAggregateWorld(
  leaves: number,
  options: { position?: number; sealSize?: number; rootOverrides?: Partial<DataEvent> } = {},
): AggregateWorld {
  const events = Array.from({ length: leaves }, (_, i) => aggregatedEvent(i));
  const eventBytes = events.map(encodeAggregatedEvent);
  const localTree = MerkleTree.fromLeaves(hasher, eventBytes);
  const position = options.position ?? 1;
  const sealSize = options.sealSize ?? 3;
  const rootEvent: DataEvent = {
    ...otherEvent(99),
    ...rootEventFields({ root: localTree.root(), leafCount: leaves }),
    inputs: [],
    outputs: [],
    eventId: mintUuidV7(1_764_000_000_500, new Uint8Array(16).fill(0x42)),
    submitter: 'gateway',
    receivedAt: T0 + 700,
    ...options.rootOverrides,
  };
  const sealEvents = Array.from({ length: sealSize }, (_, i) =>
    i === position ? encodeEvent(rootEvent) : encodeEvent(otherEvent(i)),
  );
  const packed = new Uint8Array(sealSize * 32);
  sealEvents.forEach((bytes, i) => {
    packed.set(eventLeafHash(hasher, bytes), i * 32);
  });
  const sealed = sealShard(hasher, {
    shard: 0,
    sealNumber: 0,
    streamStart: 1,
    streamEnd: 1 + sealSize,
    leafHashes: packed,
    maxReceivedAt: T0 + 1000,
  });
  const sealBytes = encodeSeal(sealed.record);
  const rounds = [0, 1, 2].map((k) =>
    closeRound(hasher, {
      round: k,
      closedAt: T0 + 1_000_000 * (k + 1),
      intervalMs: 1000,
      sealsStart: k === 2 ? 2 : 1,
      sealsEnd: k === 0 ? 1 : 2,
      seals: k === 1 ? [{ record: sealed.record, bytes: sealBytes }] : [],
      previousClosedAt: k === 0 ? null : T0 + 1_000_000 * k,
    }),
  );
  const roundBytes = rounds.map((r) => encodeRound(r.record));
  const calendar = MerkleTree.fromLeaves(hasher, roundBytes);
  const note = signCheckpoint(
    { origin: ORIGIN, size: 3, root: calendar.root(), extensions: [] },
    logKey.signer,
  );
  const checkpoint = cosignCheckpoint(
    cosignCheckpoint(note, witnessA.signer, 1_764_000_100),
    witnessB.signer,
    1_764_000_105,
  );
  const rootReceipt = assembleReceipt({
    event: sealEvents[position] as Uint8Array,
    eventProof: { leafIndex: position, treeSize: sealSize, hashes: sealed.tree.inclusionProof(position) },
    seal: sealBytes,
    sealProof: { leafIndex: 0, treeSize: 1, hashes: [] },
    round: roundBytes[1] as Uint8Array,
    roundProof: { leafIndex: 1, treeSize: 3, hashes: calendar.inclusionProof(1) },
    checkpoint,
  });
  return {
    events,
    eventBytes,
    localTree,
    rootEvent,
    rootReceipt,
    receipt: (i) => ({
      version: 2,
      event: eventBytes[i] as Uint8Array,
      localProof: { leafIndex: i, treeSize: leaves, hashes: localTree.inclusionProof(i) },
      rootReceipt,
    }),
  };
}
