import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClaimTable, homeSlotOf, type IdWords } from './claim-table.js';
import { ClaimTableFile } from './claim-table-file.js';

let dir = '';
let files = 0;
const nextPath = () => join(dir, `${++files}.claims`);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'msi-claim-table-file-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const words = fc
  .tuple(fc.nat(), fc.nat(), fc.nat(), fc.nat())
  .map(([a, b, c, d]) => [a >>> 0, (b * 7919) >>> 0, (c * 104_729) >>> 0, d >>> 0]) as fc.Arbitrary<IdWords>;

describe('ClaimTableFile', () => {
  it('answers from disk exactly as the table it was written from', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), words, fc.integer({ min: 1, max: 2 ** 50 })), {
          maxLength: 2000,
        }),
        fc.nat(),
        async (entries, seed) => {
          const table = new ClaimTable(16, seed);
          for (const [tenant, id, position] of entries) table.set(tenant, id, position);
          const file = await ClaimTableFile.write(nextPath(), table);
          expect(file.size).toBe(table.size);
          for (const [tenant, id] of entries) expect(file.get(tenant, id)).toBe(table.get(tenant, id));
          for (const [tenant, id] of entries.slice(0, 40)) {
            expect(file.get(tenant + 4, id)).toBeUndefined();
            expect(file.get(tenant, [id[0], id[1], id[2], (id[3] + 1) >>> 0])).toBe(
              table.get(tenant, [id[0], id[1], id[2], (id[3] + 1) >>> 0]),
            );
          }
          await file.remove();
        },
      ),
      { numRuns: 40 },
    );
  });

  it('follows probe runs longer than one read and across the end of the table', async () => {
    // A table of 128 slots whose run from the target's home slot is 100 slots long and wraps past
    // the last slot: the target sits at its end, found after a second read that starts at slot 0. Built slot by slot, as linear probing would have placed colliding keys.
    const seed = 3;
    const slots = 128;
    let target: IdWords = [0xabcdef01, 2, 3, 0];
    // an id whose home is in the upper half, so that its run wraps to slot 0
    while (homeSlotOf(seed, slots, 1, target) < 64) target = [0xabcdef01, 2, 3, target[3] + 1];
    const home = homeSlotOf(seed, slots, 1, target);
    const keys = new Uint32Array(slots * 5);
    const positions = new Float64Array(slots);
    for (let k = 0; k < 99; k++) {
      const slot = (home + k) % slots;
      keys.set([1, 0x11111111, k, 0, 0], slot * 5);
      positions[slot] = k + 1;
    }
    const last = (home + 99) % slots;
    keys.set([2, ...target], last * 5);
    positions[last] = 424242;
    const table = ClaimTable.restore({ keys, positions, size: 100, seed });
    expect(table.get(1, target)).toBe(424242);
    const file = await ClaimTableFile.write(nextPath(), table);
    expect(file.get(1, target)).toBe(424242);
    // an absent id whose home is in the run: probed to the run's end, then not found
    let absent: IdWords = [0x5eed, 0, 0, 0];
    while (homeSlotOf(seed, slots, 1, absent) !== home) absent = [0x5eed, 0, 0, absent[3] + 1];
    expect(table.get(1, absent)).toBeUndefined();
    expect(file.get(1, absent)).toBeUndefined();
    expect((await stat(file.path)).size).toBe(file.bytes);
  });

  it('loads back into a table that answers and grows as the original', async () => {
    const table = new ClaimTable(16, 7);
    for (let i = 0; i < 300; i++) table.set(i % 3, [i, 1, 2, 3], i * 10 + 1);
    const file = await ClaimTableFile.write(nextPath(), table);
    const loaded = await file.load();
    expect(loaded.size).toBe(300);
    for (let i = 0; i < 300; i++) expect(loaded.get(i % 3, [i, 1, 2, 3])).toBe(i * 10 + 1);
    for (let i = 300; i < 1000; i++) loaded.set(0, [i, 1, 2, 3], i);
    expect(loaded.size).toBe(1000);
    expect(loaded.get(0, [999, 1, 2, 3])).toBe(999);
    expect(loaded.get(1, [1, 1, 2, 3])).toBe(11);
  });

  it('never overwrites a file, and a removed file is gone', async () => {
    const table = new ClaimTable();
    table.set(0, [1, 2, 3, 4], 5);
    const path = nextPath();
    const file = await ClaimTableFile.write(path, table);
    await expect(ClaimTableFile.write(path, table)).rejects.toThrow(/EEXIST/);
    await file.remove();
    await expect(stat(path)).rejects.toThrow(/ENOENT/);
  });
});
