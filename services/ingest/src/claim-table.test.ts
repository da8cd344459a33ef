import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClaimTable, type IdWords } from './claim-table.js';

const words = fc
  .tuple(fc.nat(), fc.nat(), fc.nat(), fc.nat())
  .map(([a, b, c, d]) => [
    a >>> 0,
    (b * 7919) >>> 0,
    (c * 104_729) >>> 0,
    (d * 1_299_709) >>> 0,
  ]) as fc.Arbitrary<IdWords>;

describe('ClaimTable', () => {
  it('answers like a Map of (tenant, id) → position, through growth', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), words, fc.integer({ min: 1, max: 2 ** 40 })), {
          maxLength: 3000,
        }),
        fc.nat(),
        (entries, seed) => {
          const table = new ClaimTable(16, seed);
          const model = new Map<string, number>();
          const key = (tenant: number, id: IdWords) => `${tenant}/${id.join(',')}`;
          for (const [tenant, id, position] of entries) {
            table.set(tenant, id, position);
            model.set(key(tenant, id), position);
          }
          expect(table.size).toBe(model.size);
          for (const [tenant, id] of entries) expect(table.get(tenant, id)).toBe(model.get(key(tenant, id)));
          // the same id under another tenant, and ids never set, are absent
          for (const [tenant, id] of entries.slice(0, 50)) {
            if (!model.has(key(tenant + 4, id))) expect(table.get(tenant + 4, id)).toBeUndefined();
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('finds every entry through long probe runs, before and after growth', () => {
    // 5,000 ids that differ in one word: linear probing must still find each, before and after growth
    const table = new ClaimTable(16, 0);
    for (let i = 0; i < 5000; i++) table.set(0, [0x01900000, 0, 0, i], i + 1);
    for (let i = 0; i < 5000; i++) expect(table.get(0, [0x01900000, 0, 0, i])).toBe(i + 1);
    expect(table.get(0, [0x01900000, 0, 0, 5000])).toBeUndefined();
    expect(table.size).toBe(5000);
  });

  it('replaces the position of a key without adding an entry', () => {
    const table = new ClaimTable();
    table.set(2, [1, 2, 3, 4], 10);
    table.set(2, [1, 2, 3, 4], 20);
    expect(table.size).toBe(1);
    expect(table.get(2, [1, 2, 3, 4])).toBe(20);
  });

  it('setIfAbsent stores a new key and leaves a stored one as it is, with one answer for each', () => {
    const table = new ClaimTable(16, 3);
    expect(table.setIfAbsent(2, [1, 2, 3, 4], 10)).toBeUndefined();
    expect(table.setIfAbsent(2, [1, 2, 3, 4], 20)).toBe(10);
    expect(table.setIfAbsent(3, [1, 2, 3, 4], 30)).toBeUndefined(); // another tenant
    for (let i = 0; i < 100; i++) expect(table.setIfAbsent(0, [i, 0, 0, 0], i + 1)).toBeUndefined(); // grows
    expect(table.get(2, [1, 2, 3, 4])).toBe(10);
    expect(table.get(3, [1, 2, 3, 4])).toBe(30);
    expect(table.get(0, [99, 0, 0, 0])).toBe(100);
    expect(table.size).toBe(102);
  });

  it('costs 28 bytes per slot and stays between 0.35 and 0.7 full once grown', () => {
    const table = new ClaimTable(16, 1);
    for (let i = 0; i < 100_000; i++) table.set(0, [i, i ^ 0x5bd1e995, 0, i * 31], i + 1);
    const slots = table.bytes / 28;
    expect(table.size / slots).toBeGreaterThan(0.35);
    expect(table.size / slots).toBeLessThanOrEqual(0.7);
  });
});
