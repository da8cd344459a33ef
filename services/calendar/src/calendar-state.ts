import { FIRST_SEAL_SEQUENCE, type TreeNode } from '@msi/core';
import { CompactRange, type MerkleHasher } from '@msi/merkle';

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
