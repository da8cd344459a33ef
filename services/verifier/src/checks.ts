import { bytesEqual, type SealRecord } from '@msi/core';
import { type MerkleHasher, merkleRootOfLeafHashes } from '@msi/merkle';

/** The outcome of a check: ok, or the reason it failed (an integrity failure). */
export type CheckResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly detail: string };

/** A covered event as the projection stored it. */
export interface CoveredEvent {
  readonly leafHash: Uint8Array;
  readonly receivedAt: number;
}

/**
 * Rebuilds a seal's tree from the events it claims to cover (those of its shard in
 * [stream_start, stream_end), in stream then batch order) and compares leaf count, root and
 * max_received_at with the seal record. Returns the leaf hashes, packed (level 0 of the tree: what
 * the projection stores, and what receipts rebuild the tree from).
 */
export function checkSeal(
  hasher: MerkleHasher,
  seal: SealRecord,
  events: readonly CoveredEvent[],
): CheckResult<Uint8Array> {
  if (events.length !== seal.leafCount) {
    return {
      ok: false,
      detail: `seal claims ${seal.leafCount} leaves, its range holds ${events.length} events`,
    };
  }
  const maxReceived = events.reduce((max, e) => Math.max(max, e.receivedAt), 0);
  if (maxReceived !== seal.maxReceivedAt) {
    return { ok: false, detail: `max_received_at ${seal.maxReceivedAt} is not the events' ${maxReceived}` };
  }
  const packed = new Uint8Array(events.length * 32);
  events.forEach((e, i) => {
    packed.set(e.leafHash, i * 32);
  });
  if (!bytesEqual(merkleRootOfLeafHashes(hasher, packed, events.length), seal.root))
    return { ok: false, detail: 'root does not match the events it covers' };
  return { ok: true, value: packed };
}

/** A seal the projection holds: where it was published on the seal stream, and its record bytes. */
export interface KnownSeal {
  readonly streamSeq: number;
  readonly record: Uint8Array;
}

/** Where each seal a round carries was published, and how many were not found. */
export interface LocatedSeals {
  /** Per carried seal, in the order carried: its seal-stream sequence, or null when not found. */
  readonly sealSeqs: readonly (number | null)[];
  readonly missing: number;
}

/**
 * What only the verifier, holding the seal stream, can check of a round (core followRound judges the
 * rest): each seal it carries was published, byte for byte, at a sequence in [seals_start, seals_end).
 * `published` are the seals the projection holds in that range.
 */
export function locateSeals(
  sealsStart: number,
  sealsEnd: number,
  carried: readonly Uint8Array[],
  published: readonly KnownSeal[],
): LocatedSeals {
  const inRange = published.filter((s) => s.streamSeq >= sealsStart && s.streamSeq < sealsEnd);
  const sealSeqs = carried.map(
    (bytes) => inRange.find((s) => bytesEqual(s.record, bytes))?.streamSeq ?? null,
  );
  return { sealSeqs, missing: sealSeqs.filter((seq) => seq === null).length };
}
