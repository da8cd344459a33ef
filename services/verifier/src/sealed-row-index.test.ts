import { describe, expect, it } from 'vitest';
import type { EventRow } from './receipt-store.js';
import { SealedRowIndex, type SealedRowInput } from './sealed-row-index.js';

/** A 16-byte id from a number (its words differ in every byte position). */
function id(n: number): Uint8Array {
  const bytes = new Uint8Array(16);
  new DataView(bytes.buffer).setUint32(0, n * 2654435761);
  new DataView(bytes.buffer).setUint32(12, n);
  return bytes;
}

function sealed(n: number, over: Partial<EventRow> = {}): SealedRowInput {
  return {
    eventId: id(n),
    row: {
      streamSeq: 1000 + n,
      position: n % 7,
      tenant: 'acme',
      canonical: new Uint8Array(100).fill(n % 251),
      sealSeq: 5,
      leafIndex: n,
      ...over,
    },
  };
}

/** Rows per group and bytes each costs in the index (100 canonical bytes each). */
const group = (from: number, count: number, over: Partial<EventRow> = {}) =>
  Array.from({ length: count }, (_, i) => sealed(from + i, over));

describe('SealedRowIndex', () => {
  it('finds every row it keeps by (tenant, id), with its own bytes, and no other', () => {
    const index = new SealedRowIndex(64 * 1024 * 1024, 7);
    const groups = [group(0, 3000), group(3000, 1), group(3001, 5000)];
    for (const g of groups) index.add(g);
    expect(index.size).toBe(8001);
    for (const { eventId, row } of groups.flat()) {
      const found = index.find(eventId, 'acme');
      expect({ ...found, canonical: undefined }).toEqual({ ...row, canonical: undefined });
      expect(found?.canonical).not.toBe(row.canonical);
      expect(Buffer.from(found?.canonical ?? []).equals(Buffer.from(row.canonical))).toBe(true);
    }
    expect(index.find(id(1), 'other')).toBeUndefined();
    expect(index.find(id(9000), 'acme')).toBeUndefined();
    expect(index.find(new Uint8Array(15), 'acme')).toBeUndefined();
  });

  it('keeps the earliest row of a (tenant, id) on the events stream, whichever came first', () => {
    const index = new SealedRowIndex(1024 * 1024, 1);
    index.add([sealed(1, { streamSeq: 50, position: 3 })]);
    index.add([sealed(1, { streamSeq: 40, position: 9, leafIndex: 77 })]);
    index.add([sealed(1, { streamSeq: 40, position: 10 })]);
    index.add([sealed(1, { streamSeq: 60 })]);
    expect(index.find(id(1), 'acme')).toMatchObject({ streamSeq: 40, position: 9, leafIndex: 77 });
    // Another tenant's row of the same id is its own.
    index.add([sealed(1, { tenant: 'beta', streamSeq: 70 })]);
    expect(index.find(id(1), 'beta')).toMatchObject({ streamSeq: 70, tenant: 'beta' });
    expect(index.find(id(1), 'acme')).toMatchObject({ streamSeq: 40 });
  });

  it('drops the oldest groups beyond its budget, and finds the rest as the table grows', () => {
    // A group of 1,000 rows costs ~210 KB (100 canonical bytes and ~108 more per row); 1 MB holds four.
    const index = new SealedRowIndex(1_000_000, 3);
    for (let g = 0; g < 40; g++) index.add(group(g * 1000, 1000));
    const kept = index.size;
    expect(index.bytes).toBeLessThanOrEqual(1_000_000);
    expect(kept).toBe(4000);
    const newest = 40_000 - kept;
    for (let n = 0; n < 40_000; n++) {
      const found = index.find(id(n), 'acme');
      if (n >= newest) expect(found?.leafIndex).toBe(n);
      else expect(found).toBeUndefined();
    }
  });

  it('finds exactly the rows of its live groups through many drops (each row taken out of the table)', () => {
    // Groups of random sizes, some rows of other tenants, ids from a seeded generator; a budget that
    // holds a few groups, so that rows are dropped all along and probe runs are closed up behind them.
    let state = 12345;
    const next = () => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state;
    };
    const index = new SealedRowIndex(400_000, next());
    const groups: SealedRowInput[][] = [];
    let n = 0;
    for (let g = 0; g < 120; g++) {
      const size = 1 + (next() % 700);
      const rows = Array.from({ length: size }, () => {
        n += 1;
        return sealed(n, { tenant: next() % 5 === 0 ? 'beta' : 'acme' });
      });
      index.add(rows);
      groups.push(rows);
      let live = 0;
      for (let back = groups.length - 1; back >= 0; back--) {
        const count = (groups[back] as SealedRowInput[]).length;
        if (live + count > index.size) break;
        live += count;
      }
      expect(live).toBe(index.size);
      if (g % 10 !== 9) continue;
      let seen = 0;
      for (const group of groups)
        for (const { eventId, row } of group) {
          const found = index.find(eventId, row.tenant);
          if (found !== undefined) {
            expect(found.leafIndex).toBe(row.leafIndex);
            seen += 1;
          }
          expect(index.find(eventId, row.tenant === 'acme' ? 'beta' : 'acme')).toBeUndefined();
        }
      expect(seen).toBe(index.size);
    }
  });

  it('keeps nothing with a budget of 0, and refuses rows that are not anchored', () => {
    const none = new SealedRowIndex(0);
    none.add(group(0, 10));
    expect(none.size).toBe(0);
    expect(none.find(id(1), 'acme')).toBeUndefined();
    const index = new SealedRowIndex(1024 * 1024);
    expect(() => index.add([sealed(1, { sealSeq: undefined })])).toThrow(/not anchored/);
    expect(() => new SealedRowIndex(-1)).toThrow(/budget/);
  });
});
