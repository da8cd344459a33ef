// An independent reader of the streams that assembles an event's receipt from what was published
// (event batches, seals, anchored rounds) with the core alone: it trusts no service's database.
import {
  assembleReceipt,
  bytesEqual,
  decodeEvent,
  decodeRound,
  decodeSeal,
  eventLeafHash,
  type Receipt,
  type SealRecord,
} from '@msi/core';
import { type MerkleHasher, MerkleTree } from '@msi/merkle';
import { readSubject, type StoredMessage, streamNamesFor, subjectsFor } from '@msi/nats';
import { streamV1 } from '@msi/proto';
import type { JetStreamClient } from '@nats-io/jetstream';

export interface OracleOptions {
  readonly js: JetStreamClient;
  readonly prefix: string;
  readonly hasher: MerkleHasher;
  /** Read each subject once and answer every later call from that copy (for many receipts at once). */
  readonly cache?: Map<string, Promise<StoredMessage[]>>;
}

/** The messages of `subject`, from the cache when the options hold one. */
function read(options: OracleOptions, stream: string, subject: string): Promise<StoredMessage[]> {
  if (options.cache === undefined) return readSubject(options.js, stream, subject);
  let found = options.cache.get(subject);
  if (found === undefined) {
    found = readSubject(options.js, stream, subject);
    options.cache.set(subject, found);
  }
  return found;
}

/** Every event batch of a shard, decoded, with its stream sequence. */
async function shardEvents(
  options: OracleOptions,
  shard: number,
): Promise<{ seq: number; events: Uint8Array[] }[]> {
  const names = streamNamesFor(options.prefix);
  const messages = await read(options, names.events, subjectsFor(options.prefix).events(shard));
  return messages.map((m) => ({ seq: m.seq, events: streamV1.EventBatch.decode(m.data).events }));
}

/**
 * The receipt of the event with `eventId` published on `shard`, against the newest checkpoint on
 * `<prefix>.rounds`, or undefined when the event is not anchored yet. Checks on the way that each
 * seal root and each round's seals match what was published.
 */
export async function receiptFromStreams(
  options: OracleOptions,
  shard: number,
  eventId: Uint8Array,
): Promise<Receipt | undefined> {
  const { hasher, prefix } = options;
  const names = streamNamesFor(prefix);
  const batches = await shardEvents(options, shard);
  const found = batches
    .flatMap((b) => b.events.map((bytes) => ({ seq: b.seq, bytes })))
    .find((e) => bytesEqual(decodeEvent(e.bytes).eventId, eventId));
  if (found === undefined) return undefined;

  const seals = (await read(options, names.seals, subjectsFor(prefix).seals(shard))).map((m) => {
    const bytes = streamV1.ShardSealed.decode(m.data).seal;
    return { bytes, record: decodeSeal(bytes) };
  });
  const seal = seals.find((s) => s.record.streamStart <= found.seq && found.seq < s.record.streamEnd);
  if (seal === undefined) return undefined;
  const covered = sealedEvents(batches, seal.record);
  const packed = new Uint8Array(covered.length * 32);
  covered.forEach((bytes, i) => {
    packed.set(eventLeafHash(hasher, bytes), i * 32);
  });
  const sealTree = MerkleTree.fromLeafHashes(hasher, packed, covered.length);
  if (!bytesEqual(sealTree.root(), seal.record.root))
    throw new Error(`seal ${shard}/${seal.record.sealNumber}: root does not match its events`);
  const eventIndex = covered.findIndex((bytes) => bytesEqual(bytes, found.bytes));

  const rounds = (await read(options, names.rounds, subjectsFor(prefix).rounds)).map((m) =>
    streamV1.RoundAnchored.decode(m.data),
  );
  rounds.forEach((r, k) => {
    if (decodeRound(r.round).round !== k)
      throw new Error(`round message ${k} holds round ${decodeRound(r.round).round}`);
  });
  const k = rounds.findIndex((r) => r.seals.some((s) => bytesEqual(s, seal.bytes)));
  const anchored = rounds[k];
  const latest = rounds.at(-1);
  if (anchored === undefined || latest === undefined) return undefined;
  const roundTree = MerkleTree.fromLeaves(hasher, anchored.seals);
  if (!bytesEqual(roundTree.root(), decodeRound(anchored.round).root))
    throw new Error(`round ${k}: root does not match its seals`);
  const sealIndex = anchored.seals.findIndex((s) => bytesEqual(s, seal.bytes));
  const calendar = MerkleTree.fromLeaves(
    hasher,
    rounds.map((r) => r.round),
  );

  return assembleReceipt({
    event: found.bytes,
    eventProof: {
      leafIndex: eventIndex,
      treeSize: covered.length,
      hashes: sealTree.inclusionProof(eventIndex),
    },
    seal: seal.bytes,
    sealProof: {
      leafIndex: sealIndex,
      treeSize: anchored.seals.length,
      hashes: roundTree.inclusionProof(sealIndex),
    },
    round: anchored.round,
    roundProof: { leafIndex: k, treeSize: calendar.size, hashes: calendar.inclusionProof(k) },
    checkpoint: latest.checkpoint,
  });
}

function sealedEvents(
  batches: readonly { seq: number; events: Uint8Array[] }[],
  seal: SealRecord,
): Uint8Array[] {
  return batches.filter((b) => seal.streamStart <= b.seq && b.seq < seal.streamEnd).flatMap((b) => b.events);
}
