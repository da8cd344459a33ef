import type { IndexEntry } from './state-index.js';

/** What the agent reported about a path at a time, from its index (pure). */
export interface StateAt {
  /** The last event about the path at or before the time; undefined: nothing reported yet. */
  readonly last: IndexEntry | undefined;
  /**
   * The events that prove the state: from the one that set it (the change, or the baseline when
   * the state never changed since) to `last`, oldest first, each naming the one before as parent.
   */
  readonly chain: readonly IndexEntry[];
  /** The first event after the time, if any: the state held at least until it was reported. */
  readonly next: IndexEntry | undefined;
}

/** The state of a path at `atUs` from its entries, oldest first. */
export function stateAt(entries: readonly IndexEntry[], atUs: number): StateAt {
  let lastIndex = -1;
  for (let i = 0; i < entries.length; i++) if ((entries[i] as IndexEntry).atUs <= atUs) lastIndex = i;
  const last = entries[lastIndex];
  const next = entries[lastIndex + 1];
  if (last === undefined) return { last: undefined, chain: [], next };
  let first = lastIndex;
  while (first > 0 && continues(entries[first - 1] as IndexEntry, entries[first] as IndexEntry)) first--;
  return { last, chain: entries.slice(first, lastIndex + 1), next };
}

/** Whether `later` only restates `earlier` (same kind and content, an aggregated report). */
function continues(earlier: IndexEntry, later: IndexEntry): boolean {
  return (
    (later.change === 'rescan' || later.change === 'baseline' || later.change === 'metadata') &&
    later.kind === earlier.kind &&
    later.state.hash === earlier.state.hash
  );
}
