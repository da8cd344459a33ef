import { type DataEvent, encodeEvent, encodeImprint, type Imprint, imprintOf, mintUuidV7 } from '@msi/core';
import { verifierV1 } from '@msi/proto';
import { describe, expect, it } from 'vitest';
import { type LineageEventRow, type LineageLevel, walkLineage } from './lineage-walk.js';

const item = (name: string): Imprint => imprintOf('sha256', new TextEncoder().encode(name));
const [A, B, C, D] = ['a', 'b', 'c', 'd'].map(item) as [Imprint, Imprint, Imprint, Imprint];

function event(n: number, fields: Partial<DataEvent>): DataEvent {
  return {
    tenant: 'acme',
    eventId: mintUuidV7(1_700_000_000_000 + n, new Uint8Array(16).fill(n)),
    kind: 'STORE',
    data: A,
    inputs: [],
    outputs: [],
    toTenant: '',
    actor: 'alice',
    submitter: 'etl',
    source: { system: 's', region: 'r', host: 'h' },
    destination: { system: 's', region: 'r', host: 'h' },
    occurredAt: 1_700_000_000_000_000 + n,
    receivedAt: 1_700_000_000_000_000 + n,
    parents: [],
    attributes: [],
    nonce: new Uint8Array(16).fill(n),
    ...fields,
  };
}

//   A ─┐
//      ├─ p1 ─→ B ── p2 ─→ C ── t1 (C to beta)
//   D ─┘
// s1 stores A: it makes no link and is never reported.
const p1 = event(1, { kind: 'PROCESS', data: B, inputs: [A, D], outputs: [B] });
const p2 = event(2, { kind: 'PROCESS', data: C, inputs: [B], outputs: [C] });
const t1 = event(3, { kind: 'TRANSFER', data: C, toTenant: 'beta' });
const s1 = event(4, { kind: 'STORE', data: A });
const EVENTS = [p1, p2, t1, s1];

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** The port over memory, with the semantics lineage-store.ts implements in SQL; counts its calls. */
function memoryLevel(calls: { frontier: string[]; way: string }[]): LineageLevel {
  return async (frontier, way, seen, limit) => {
    calls.push({ frontier: frontier.map(hex), way });
    const wanted = new Set(frontier.map(hex));
    const seenIds = new Set(seen.map(hex));
    const rows: LineageEventRow[] = [];
    for (const e of EVENTS) {
      if (seenIds.has(hex(e.eventId))) continue;
      const names =
        e.kind === 'TRANSFER' ? [e.data] : e.kind === 'PROCESS' ? (way === 'up' ? e.outputs : e.inputs) : [];
      if (!names.some((i) => wanted.has(hex(encodeImprint(i))))) continue;
      rows.push({ eventId: e.eventId, canonical: encodeEvent(e), round: e === p1 ? 7 : undefined });
    }
    return rows.slice(0, limit);
  };
}

const ids = (walk: Awaited<ReturnType<typeof walkLineage>>) =>
  walk.hops.map((h) => [hex(h.link.eventId), h.depth, h.way]);

describe('walkLineage', () => {
  it('walks downstream breadth first, one query per level, each imprint expanded once', async () => {
    const calls: { frontier: string[]; way: string }[] = [];
    const walk = await walkLineage(memoryLevel(calls), encodeImprint(A), ['down'], {
      maxDepth: 4,
      maxLinks: 100,
    });
    expect(ids(walk)).toEqual([
      [hex(p1.eventId), 1, 'down'],
      [hex(p2.eventId), 2, 'down'],
      [hex(t1.eventId), 3, 'down'],
    ]);
    expect(walk.truncated).toBe(false);
    // Levels 1–3, then one that finds nothing past C (already expanded by the transfer: no 5th call).
    expect(calls.map((c) => c.frontier)).toEqual([
      [hex(encodeImprint(A))],
      [hex(encodeImprint(B))],
      [hex(encodeImprint(C))],
    ]);
    expect(walk.hops[0]?.round).toBe(7);
    expect(walk.hops[0]?.link.kind).toBe(verifierV1.LinkKind.LINK_KIND_PROCESS);
    expect(walk.hops[2]?.link).toMatchObject({
      kind: verifierV1.LinkKind.LINK_KIND_TRANSFER,
      fromTenant: 'acme',
      toTenant: 'beta',
    });
  });

  it('walks upstream to every input, and both ways with each event once', async () => {
    const up = await walkLineage(memoryLevel([]), encodeImprint(C), ['up'], { maxDepth: 4, maxLinks: 100 });
    expect(ids(up)).toEqual([
      [hex(p2.eventId), 1, 'up'],
      [hex(t1.eventId), 1, 'up'],
      [hex(p1.eventId), 2, 'up'],
    ]);
    const both = await walkLineage(memoryLevel([]), encodeImprint(B), ['down', 'up'], {
      maxDepth: 4,
      maxLinks: 100,
    });
    expect(ids(both)).toEqual([
      [hex(p2.eventId), 1, 'down'],
      [hex(p1.eventId), 1, 'up'],
      [hex(t1.eventId), 2, 'down'],
    ]);
  });

  it('says truncated when max_depth or max_links stops it with links left, not when it ran out', async () => {
    const start = encodeImprint(A);
    const shallow = await walkLineage(memoryLevel([]), start, ['down'], { maxDepth: 1, maxLinks: 100 });
    expect(ids(shallow)).toEqual([[hex(p1.eventId), 1, 'down']]);
    expect(shallow.truncated).toBe(true);
    const few = await walkLineage(memoryLevel([]), start, ['down'], { maxDepth: 16, maxLinks: 2 });
    expect(ids(few).map((h) => h[0])).toEqual([hex(p1.eventId), hex(p2.eventId)]);
    expect(few.truncated).toBe(true);
    const exact = await walkLineage(memoryLevel([]), start, ['down'], { maxDepth: 3, maxLinks: 3 });
    expect(exact.hops).toHaveLength(3);
    expect(exact.truncated).toBe(false);
    const none = await walkLineage(memoryLevel([]), encodeImprint(item('z')), ['down', 'up'], {
      maxDepth: 4,
      maxLinks: 10,
    });
    expect(none).toEqual({ hops: [], truncated: false });
  });
});
