// TEST-ONLY: publishing event batches and checking the seals an aggregator produced from them.
import { bytesEqual, decodeEvent, eventLeafHash, type SealRecord } from '@msi/core';
import { HASH_SIZE, type MerkleHasher, MerkleTree } from '@msi/merkle';
import { streamNamesFor, subjectsFor } from '@msi/nats';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { decodeShardSealed } from './shard-sealed.js';
import { canonicalEvents, eventBatch } from './test-events.test-helper.js';

/** A message published to a shard: its stream sequence and its events' leaf hashes and received_at. */
export interface PublishedBatch {
  readonly shard: number;
  readonly seq: number;
  readonly leafHashes: readonly Uint8Array[];
  readonly maxReceivedAt: number;
}

let batchCounter = 0;

/** Publishes `count` fresh events to `shard` as one EventBatch. */
export async function publishEvents(
  js: JetStreamClient,
  hasher: MerkleHasher,
  prefix: string,
  shard: number,
  count: number,
): Promise<PublishedBatch> {
  batchCounter += 1;
  const events = canonicalEvents(count, `s${shard}-b${batchCounter}`);
  const ack = await js.publish(
    subjectsFor(prefix).events(shard),
    eventBatch(shard, events, `t-${batchCounter}`),
  );
  return {
    shard,
    seq: ack.seq,
    leafHashes: events.map((e) => eventLeafHash(hasher, e)),
    maxReceivedAt: Math.max(...events.map((e) => decodeEvent(e).receivedAt)),
  };
}

/** A seal read back from the seals stream. */
export interface StoredSeal {
  readonly subjectSeq: number;
  readonly record: SealRecord;
  readonly sealBytes: Uint8Array;
  readonly aggregatorId: string;
}

/** Every seal of every shard, by shard, in stream order. */
export async function readAllSeals(
  jsm: JetStreamManager,
  prefix: string,
): Promise<Map<number, StoredSeal[]>> {
  const stream = streamNamesFor(prefix).seals;
  const info = await jsm.streams.info(stream);
  const seals = new Map<number, StoredSeal[]>();
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const stored = await jsm.streams.getMessage(stream, { seq });
    if (stored === null) continue;
    const shard = Number(stored.subject.slice(stored.subject.lastIndexOf('.') + 1));
    const decoded = decodeShardSealed(stored.data, shard);
    const list = seals.get(shard) ?? [];
    list.push({
      subjectSeq: seq,
      record: decoded.record,
      sealBytes: decoded.sealBytes,
      aggregatorId: decoded.aggregatorId,
    });
    seals.set(shard, list);
  }
  return seals;
}

/** How far the seals have got: the published messages not yet covered. */
export function uncovered(
  published: readonly PublishedBatch[],
  seals: Map<number, StoredSeal[]>,
): PublishedBatch[] {
  return published.filter(
    (b) =>
      !(seals.get(b.shard) ?? []).some((s) => s.record.streamStart <= b.seq && b.seq < s.record.streamEnd),
  );
}

/**
 * Checks every rule the seals of `published` must follow, and returns the problems (empty when all
 * hold): per shard, seal numbers 0, 1, 2, … once each; ranges in order without overlap and with no
 * published message between two seals; each seal exactly over the events of the messages in its
 * range, in stream order (leaf count, root = MerkleTree over their leaf hashes, max received_at).
 */
export function sealProblems(
  hasher: MerkleHasher,
  published: readonly PublishedBatch[],
  seals: Map<number, StoredSeal[]>,
): string[] {
  const problems: string[] = [];
  const shards = new Set([...published.map((b) => b.shard), ...seals.keys()]);
  for (const shard of shards) {
    const batches = published.filter((b) => b.shard === shard).sort((a, b) => a.seq - b.seq);
    const list = seals.get(shard) ?? [];
    list.forEach((seal, i) => {
      const r = seal.record;
      const where = `shard ${shard} seal #${i} (seal_number ${r.sealNumber}, [${r.streamStart}, ${r.streamEnd}))`;
      if (r.sealNumber !== i) problems.push(`${where}: seal_number is not ${i}`);
      const previous = list[i - 1]?.record;
      if (previous !== undefined) {
        if (r.streamStart < previous.streamEnd) problems.push(`${where}: overlaps the previous seal`);
        const skipped = batches.filter((b) => b.seq >= previous.streamEnd && b.seq < r.streamStart);
        if (skipped.length > 0)
          problems.push(`${where}: messages ${skipped.map((b) => b.seq)} fall between seals`);
      }
      const covered = batches.filter((b) => b.seq >= r.streamStart && b.seq < r.streamEnd);
      if (covered[0]?.seq !== r.streamStart || covered.at(-1)?.seq !== r.streamEnd - 1) {
        problems.push(`${where}: does not start and end at published messages`);
      }
      const leaves = covered.flatMap((b) => b.leafHashes);
      const packed = new Uint8Array(leaves.length * HASH_SIZE);
      leaves.forEach((leaf, j) => {
        packed.set(leaf, j * HASH_SIZE);
      });
      if (r.leafCount !== leaves.length)
        problems.push(`${where}: ${r.leafCount} leaves, want ${leaves.length}`);
      else if (!bytesEqual(MerkleTree.fromLeafHashes(hasher, packed, leaves.length).root(), r.root)) {
        problems.push(`${where}: root is not the tree over its events`);
      }
      const maxReceivedAt = Math.max(...covered.map((b) => b.maxReceivedAt));
      if (r.maxReceivedAt !== maxReceivedAt)
        problems.push(`${where}: max_received_at ${r.maxReceivedAt}, want ${maxReceivedAt}`);
    });
    const first = list[0]?.record;
    if (first !== undefined) {
      const before = batches.filter((b) => b.seq < first.streamStart);
      if (before.length > 0)
        problems.push(`shard ${shard}: messages ${before.map((b) => b.seq)} before the first seal`);
    }
  }
  return problems;
}
