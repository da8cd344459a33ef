import { CompactRange, HASH_SIZE, type MerkleHasher } from '@msi/merkle';

/** A node of the calendar tree whose hash is final (a leaf, or a perfect subtree), as stored. */
export interface TreeNode {
  readonly level: number;
  readonly index: number;
  readonly hash: Uint8Array;
}

/** What the calendar needs to close and append its next round. */
export interface CalendarState {
  /** Number of rounds appended: the next round is k = size. */
  readonly size: number;
  /** RFC 9162 root of the calendar of `size` leaves. */
  readonly root: Uint8Array;
  /** The compact range over leaves [0, size). */
  readonly range: CompactRange;
  /** closed_at of round size − 1, µs; null when empty. */
  readonly lastClosedAt: number | null;
  /** seals_end of round size − 1 (1 when empty): the next round's seals_start. */
  readonly sealsEnd: number;
}

/** The state after appending one round, and the nodes that append completed (to store). */
export interface Extension {
  readonly state: CalendarState;
  readonly nodes: readonly TreeNode[];
}

/** The first seal-stream sequence a calendar covers (JetStream sequences start at 1). */
export const FIRST_SEAL_SEQUENCE = 1;

/** The state of an empty calendar. */
export function emptyState(hasher: MerkleHasher): CalendarState {
  const range = new CompactRange(hasher);
  return { size: 0, root: range.root(), range, lastClosedAt: null, sealsEnd: FIRST_SEAL_SEQUENCE };
}

/**
 * Appends leaf `leafHash` (round `state.size`, closed at `closedAt` with seals_end `sealsEnd`) to a copy
 * of the state. Pure: `state` is unchanged.
 */
export function extendState(
  state: CalendarState,
  leafHash: Uint8Array,
  round: { readonly closedAt: number; readonly sealsEnd: number },
): Extension {
  const range = state.range.clone();
  const nodes: TreeNode[] = [];
  range.append(leafHash, (level, index, hash) => nodes.push({ level, index, hash }));
  return {
    state: {
      size: range.size,
      root: range.root(),
      range,
      lastClosedAt: round.closedAt,
      sealsEnd: round.sealsEnd,
    },
    nodes,
  };
}

/** The compact range's hashes packed into one byte string (as stored in calendar_writer). */
export function packHashes(hashes: readonly Uint8Array[]): Uint8Array {
  const packed = new Uint8Array(hashes.length * HASH_SIZE);
  for (const [i, hash] of hashes.entries()) packed.set(hash, i * HASH_SIZE);
  return packed;
}

/** The inverse of {@link packHashes}; undefined when the length is not a multiple of 32. */
export function unpackHashes(packed: Uint8Array): Uint8Array[] | undefined {
  if (packed.length % HASH_SIZE !== 0) return undefined;
  const hashes: Uint8Array[] = [];
  for (let offset = 0; offset < packed.length; offset += HASH_SIZE) {
    hashes.push(packed.slice(offset, offset + HASH_SIZE));
  }
  return hashes;
}
