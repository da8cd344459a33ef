import { type DataEvent, decodeEvent } from '@msi/core';
import type { verifierV1 } from '@msi/proto';
import { eventToProto } from '@msi/wire';
import { lineageLinkOf } from './lineage-link.js';

/** Which way a walk goes: `up` towards inputs, `down` towards what was made from the item. */
export type Way = 'up' | 'down';

/** An event a level of the walk found (visible to the caller, not seen before). */
export interface LineageEventRow {
  readonly eventId: Uint8Array;
  readonly canonical: Uint8Array;
  /** The round that anchors it, when its seal is in a verified round. */
  readonly round: number | undefined;
}

/**
 * One level of the walk, in one query (the port; lineage-store.ts over Postgres): the visible events
 * that make a link into (`up`: naming an imprint of `frontier` as a PROCESS output or a TRANSFER's
 * data) or out of (`down`: as a PROCESS input or a TRANSFER's data) the frontier, each event once,
 * none of `seen`, by (received_at, stream position), at most `limit`.
 */
export type LineageLevel = (
  frontier: readonly Uint8Array[],
  way: Way,
  seen: readonly Uint8Array[],
  limit: number,
) => Promise<LineageEventRow[]>;

/** A link the walk found. */
export interface FoundHop {
  readonly link: verifierV1.LineageLink;
  readonly event: DataEvent;
  readonly depth: number;
  readonly way: Way;
  readonly round: number | undefined;
}

export interface LineageWalk {
  readonly hops: FoundHop[];
  readonly truncated: boolean;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/**
 * Walks the lineage of `start` breadth first, `ways` in that order at each depth, one `level` query per
 * way and depth: depth d holds the links d hops away. Each event is reported once (the first way and
 * depth that reach it); each imprint is expanded once per way. Stops after `maxDepth` levels or
 * `maxLinks` links; `truncated` says whether links remained beyond (one more query of one row tells).
 */
export async function walkLineage(
  level: LineageLevel,
  start: Uint8Array,
  ways: readonly Way[],
  limits: { readonly maxDepth: number; readonly maxLinks: number },
): Promise<LineageWalk> {
  const hops: FoundHop[] = [];
  const seen: Uint8Array[] = [];
  const frontiers = new Map<Way, Uint8Array[]>(ways.map((w) => [w, [start]]));
  const expanded = new Map<Way, Set<string>>(ways.map((w) => [w, new Set([hex(start)])]));
  for (let depth = 1; ; depth++) {
    const pending = ways.filter((w) => (frontiers.get(w) ?? []).length > 0);
    if (pending.length === 0) return { hops, truncated: false };
    for (const way of pending) {
      const remaining = depth > limits.maxDepth ? 0 : limits.maxLinks - hops.length;
      const rows = await level(frontiers.get(way) ?? [], way, seen, remaining + 1);
      if (remaining === 0) {
        if (rows.length > 0) return { hops, truncated: true };
        frontiers.set(way, []);
        continue;
      }
      const next: Uint8Array[] = [];
      for (const row of rows.slice(0, remaining)) {
        const event = decodeEvent(row.canonical);
        const link = lineageLinkOf(event, eventToProto(event));
        seen.push(row.eventId);
        if (link === undefined) continue;
        hops.push({ link, event, depth, way, round: row.round });
        for (const imprint of way === 'down' ? link.toData : link.fromData) {
          const key = hex(imprint);
          if (expanded.get(way)?.has(key)) continue;
          expanded.get(way)?.add(key);
          next.push(imprint);
        }
      }
      if (rows.length > remaining) return { hops, truncated: true };
      frontiers.set(way, next);
    }
  }
}
