import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mintUuidV7, uuidV7Time } from '@msi/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ClaimKeyReader, encodeClaimBatch } from './claim-batch-codec.js';
import {
  ClaimIndex,
  type ColdClaimStore,
  type ColdClaims,
  claimIndexOf,
  claimKey,
  claimPosition,
  claimSeqOf,
  type IndexedClaim,
} from './claim-index.js';
import { ClaimSpillDirectory } from './claim-spill-directory.js';
import { ClaimTable, type IdWords } from './claim-table.js';

const T0 = 1_800_000_000_000;
const HOUR = 3_600_000;
const id = (n: number) => new Uint8Array(16).fill(n);
const claim = (n: number, idTimeMs = T0, supersedes = 0, tenant = 'acme') => ({
  tenant,
  eventId: id(n),
  idTimeMs,
  supersedes,
});

describe('ClaimIndex', () => {
  it('gives each id to its first claim in stream order, within and across messages', () => {
    const index = new ClaimIndex({ windowMs: HOUR, skewMs: 60_000 });
    index.apply(1, [claim(1), claim(2), claim(1)]);
    index.apply(2, [claim(2), claim(3)]);
    expect(index.winner(claimKey('acme', id(1)), T0)).toBe(claimPosition(1, 0));
    expect(index.winner(claimKey('acme', id(2)), T0)).toBe(claimPosition(1, 1));
    expect(index.winner(claimKey('acme', id(3)), T0)).toBe(claimPosition(2, 1));
    expect(index.winner(claimKey('acme', id(4)), T0)).toBeUndefined();
    expect(index.size).toBe(3);
  });

  it('keeps tenants apart', () => {
    const index = new ClaimIndex({ windowMs: HOUR, skewMs: 0 });
    index.apply(1, [claim(1, T0, 0, 'acme'), claim(1, T0, 0, 'globex')]);
    expect(index.winner(claimKey('acme', id(1)), T0)).toBe(claimPosition(1, 0));
    expect(index.winner(claimKey('globex', id(1)), T0)).toBe(claimPosition(1, 1));
  });

  it('replaces a winner only by a claim that names it, and only the first such claim', () => {
    const index = new ClaimIndex({ windowMs: HOUR, skewMs: 0 });
    index.apply(1, [claim(1)]);
    const original = claimPosition(1, 0);
    index.apply(2, [claim(1, T0, claimPosition(9, 9))]); // names something else: ignored
    index.apply(3, [claim(1, T0, original)]);
    index.apply(4, [claim(1, T0, original)]); // too late: the winner changed
    expect(index.winner(claimKey('acme', id(1)), T0)).toBe(claimPosition(3, 0));
    index.apply(5, [claim(2, T0, original)]); // nothing to replace
    expect(index.winner(claimKey('acme', id(2)), T0)).toBeUndefined();
    expect(index.size).toBe(1);
  });

  it('accepts ids in [now − window, now + skew] only', () => {
    const index = new ClaimIndex({ windowMs: HOUR, skewMs: 60_000 });
    expect(index.inWindow(T0 - HOUR, T0)).toBe(true);
    expect(index.inWindow(T0 - HOUR - 1, T0)).toBe(false);
    expect(index.inWindow(T0 + 60_000, T0)).toBe(true);
    expect(index.inWindow(T0 + 60_001, T0)).toBe(false);
  });

  it('forgets ids once their time is older than the window', () => {
    const index = new ClaimIndex({ windowMs: HOUR, skewMs: 0 });
    index.apply(1, [claim(1, T0), claim(2, T0 + HOUR)]);
    index.expire(T0 + HOUR);
    expect(index.size).toBe(2);
    index.expire(T0 + 2 * HOUR);
    expect(index.winner(claimKey('acme', id(1)), T0)).toBeUndefined();
    expect(index.winner(claimKey('acme', id(2)), T0 + HOUR)).toBe(claimPosition(1, 1));
    expect(index.size).toBe(1);
  });

  it('packs positions losslessly', () => {
    const position = claimPosition(123_456_789, 99_999);
    expect([claimSeqOf(position), claimIndexOf(position)]).toEqual([123_456_789, 99_999]);
  });
});

describe('ClaimIndex.applyKeys (claims read from an encoded ClaimBatch)', () => {
  /** A UUIDv7 of `timeMs` whose random bits are n's. */
  const v7 = (timeMs: number, n: number) => mintUuidV7(timeMs, new Uint8Array(16).fill(n));
  const reader = new ClaimKeyReader();
  const applyEncoded = (index: ClaimIndex, seq: number, claims: readonly IndexedClaim[]) => {
    reader.read(
      encodeClaimBatch({
        batchId: `b${seq}`,
        shard: 0,
        claimUntilMs: 0,
        claims: claims.map((c) => ({ ...c, expectedRound: 1 })),
      }),
    );
    index.applyKeys(seq, reader);
  };

  it('makes the winners that apply makes: repeats, tenants, replacements, ids of several slices', () => {
    // windowMs 32 s: slices of 1 s; ids over 4 s, so batches cross slices back and forth
    const options = { windowMs: 32_000, skewMs: 0 };
    const byObjects = new ClaimIndex(options);
    const byKeys = new ClaimIndex(options);
    const ids = Array.from({ length: 60 }, (_, n) => v7(T0 + (n % 4) * 1000 + n, n));
    const claimOf = (n: number, supersedes = 0, tenant = n % 5 === 0 ? 'globex' : 'acme'): IndexedClaim => {
      const eventId = ids[n % ids.length] as Uint8Array;
      return { tenant, eventId, idTimeMs: uuidV7Time(eventId), supersedes };
    };
    const batches: IndexedClaim[][] = [
      Array.from({ length: 40 }, (_, n) => claimOf(n)),
      Array.from({ length: 40 }, (_, n) => claimOf(n + 20)), // 20 repeats, 20 new
      [claimOf(3, claimPosition(1, 3)), claimOf(4, claimPosition(9, 9)), claimOf(3, claimPosition(1, 3))],
      [claimOf(7, 0, 'initech'), claimOf(7, claimPosition(1, 7), 'initech')],
    ];
    batches.forEach((claims, i) => {
      byObjects.apply(i + 1, claims);
      applyEncoded(byKeys, i + 1, claims);
    });
    expect(byKeys.size).toBe(byObjects.size);
    for (const tenant of ['acme', 'globex', 'initech']) {
      for (const eventId of ids) {
        const key = claimKey(tenant, eventId);
        expect(byKeys.winner(key, uuidV7Time(eventId))).toBe(byObjects.winner(key, uuidV7Time(eventId)));
      }
    }
    expect(byKeys.winner(claimKey('acme', ids[3] as Uint8Array), uuidV7Time(ids[3] as Uint8Array))).toBe(
      claimPosition(3, 0),
    );
  });

  it("sizes the table of now's next slice for the ids the slice before took, and no other slice's", () => {
    const index = new ClaimIndex({ windowMs: 32_000, skewMs: 60_000 }); // slices of 1 s
    applyEncoded(
      index,
      1,
      Array.from({ length: 3000 }, (_, n) => ({
        tenant: 'acme',
        eventId: v7(T0 + (n % 1000), n),
        idTimeMs: 0,
        supersedes: 0,
      })),
    );
    index.expire(T0 + 999);
    const oneSlice = index.bytes;
    expect(index.size).toBe(3000);
    // the next slice: a table for 3,000 ids at most 0.7 full (8,192 slots of 28 bytes), never grown
    applyEncoded(index, 2, [{ tenant: 'acme', eventId: v7(T0 + 1000, 1), idTimeMs: 0, supersedes: 0 }]);
    expect(index.bytes - oneSlice).toBe(8192 * 28);
    // a slice further ahead (an id from a clock that runs fast) gets the smallest table
    applyEncoded(index, 3, [{ tenant: 'acme', eventId: v7(T0 + 30_000, 1), idTimeMs: 0, supersedes: 0 }]);
    expect(index.bytes - oneSlice - 8192 * 28).toBe(1024 * 28);
  });
});

describe('ClaimIndex with a cold tier on disk', () => {
  let parent = '';
  beforeAll(async () => {
    parent = await mkdtemp(join(tmpdir(), 'msi-claim-index-'));
  });
  afterAll(async () => {
    await rm(parent, { recursive: true, force: true });
  });

  const MEMORY_MS = 10_000; // slices of 5 s
  const idN = (n: number) => {
    const bytes = new Uint8Array(16);
    new DataView(bytes.buffer).setUint32(12, n);
    return bytes;
  };
  const claimN = (n: number, idTimeMs = T0, supersedes = 0) => ({
    tenant: 'acme',
    eventId: idN(n),
    idTimeMs,
    supersedes,
  });
  const winnerOf = (index: ClaimIndex, n: number, idTimeMs = T0) =>
    index.winner(claimKey('acme', idN(n)), idTimeMs);

  it('writes a slice that fell behind the memory horizon to disk and answers from there', async () => {
    const store = await ClaimSpillDirectory.open(parent);
    const index = new ClaimIndex({ windowMs: HOUR, skewMs: 0, cold: { store, memoryMs: MEMORY_MS } });
    index.apply(
      1,
      Array.from({ length: 1000 }, (_, n) => claimN(n)),
    );
    index.apply(2, [claimN(5000, T0 + 60_000)]);
    const inMemory = index.bytes;
    index.expire(T0 + 30_000); // T0's slice is cold, but was claimed into since the last look
    expect(index.coldWrites).toBe(0);
    index.expire(T0 + 31_000); // untouched for a look: written
    await vi.waitFor(() => expect(index.coldWrites).toBe(1));
    expect(index.bytes).toBeLessThan(inMemory);
    expect(index.coldBytes).toBeGreaterThan(1000 * 28);
    expect(index.size).toBe(1001);
    for (let n = 0; n < 1000; n++) expect(winnerOf(index, n)).toBe(claimPosition(1, n));
    expect(winnerOf(index, 1000)).toBeUndefined();
    expect(winnerOf(index, 5000, T0 + 60_000)).toBe(claimPosition(2, 0));

    // Later claims into the written slice: a retry, a replacement of a void winner, a late new id.
    index.apply(3, [claimN(5), claimN(7, T0, claimPosition(1, 7)), claimN(2000)]);
    expect(winnerOf(index, 5)).toBe(claimPosition(1, 5));
    expect(winnerOf(index, 7)).toBe(claimPosition(3, 1));
    expect(winnerOf(index, 2000)).toBe(claimPosition(3, 2));
    expect(index.size).toBe(1002);

    // Past the window the slice and its file go; the later slice was written meanwhile.
    index.expire(T0 + HOUR + 6000);
    await vi.waitFor(() => expect(index.coldWrites).toBe(2));
    expect(winnerOf(index, 5)).toBeUndefined();
    expect(winnerOf(index, 5000, T0 + 60_000)).toBe(claimPosition(2, 0));
    expect(index.size).toBe(1);
    await vi.waitFor(async () => expect(await readdir(store.path)).toHaveLength(1));
    await store.close();
  });

  it("merges a written slice's later claims into its file once there are enough of them", async () => {
    const store = await ClaimSpillDirectory.open(parent);
    const index = new ClaimIndex({ windowMs: HOUR, skewMs: 0, cold: { store, memoryMs: MEMORY_MS } });
    index.apply(
      1,
      Array.from({ length: 100 }, (_, n) => claimN(n)),
    );
    index.expire(T0 + 30_000);
    index.expire(T0 + 31_000);
    await vi.waitFor(() => expect(index.coldWrites).toBe(1));
    // 5,000 late ids (past the 4,096 that make a merge worth it), then a look with none arriving
    index.apply(
      2,
      Array.from({ length: 5000 }, (_, n) => claimN(100 + n)),
    );
    index.expire(T0 + 32_000);
    expect(index.coldWrites).toBe(1);
    index.expire(T0 + 33_000);
    await vi.waitFor(() => expect(index.coldWrites).toBe(2));
    expect(index.size).toBe(5100);
    for (let n = 0; n < 5100; n++)
      expect(winnerOf(index, n)).toBe(n < 100 ? claimPosition(1, n) : claimPosition(2, n - 100));
    await vi.waitFor(async () => expect(await readdir(store.path)).toHaveLength(1));
    await store.close();
    await expect(readdir(store.path)).rejects.toThrow(/ENOENT/);
  });

  it('keeps the claims of a slice whose write failed in memory, and tries again later', async () => {
    const errors: unknown[] = [];
    let fail = true;
    const disk = await ClaimSpillDirectory.open(parent);
    const store: ColdClaimStore = {
      write: (table, under) =>
        fail ? Promise.reject(new Error('ENOSPC: no space left')) : disk.write(table, under),
      remove: (cold) => disk.remove(cold),
    };
    const index = new ClaimIndex({
      windowMs: HOUR,
      skewMs: 0,
      cold: { store, memoryMs: MEMORY_MS, onError: (error) => errors.push(error) },
    });
    index.apply(
      1,
      Array.from({ length: 50 }, (_, n) => claimN(n)),
    );
    index.expire(T0 + 30_000);
    index.expire(T0 + 31_000);
    await vi.waitFor(() => expect(errors).toHaveLength(1));
    index.apply(2, [claimN(1, T0, claimPosition(1, 1))]); // applied while it was out: stays on top
    for (let n = 0; n < 50; n++)
      expect(winnerOf(index, n)).toBe(claimPosition(n === 1 ? 2 : 1, n === 1 ? 0 : n));
    fail = false;
    index.expire(T0 + 35_000); // before the 10 s back-off: nothing
    expect(index.coldWrites).toBe(0);
    index.expire(T0 + 41_000);
    index.expire(T0 + 42_000);
    await vi.waitFor(() => expect(index.coldWrites).toBe(1));
    expect(index.bytes).toBe(0);
    for (let n = 0; n < 50; n++)
      expect(winnerOf(index, n)).toBe(claimPosition(n === 1 ? 2 : 1, n === 1 ? 0 : n));
    await disk.close();
  });
});

describe('ClaimIndex replaying a window in time order (a start)', () => {
  it('writes each slice once, whole, after it is filled, never while claims still go to it', async () => {
    const written: { size: number; merged: boolean }[] = [];
    // A store that keeps what it is given in memory and answers at once: the index's choices alone.
    const tables = new Map<ColdClaims, ClaimTable>();
    const memoryStore: ColdClaimStore = {
      async write(table, under) {
        written.push({ size: table.size, merged: under !== undefined });
        const copy = new ClaimTable(16);
        const below = under === undefined ? undefined : tables.get(under);
        if (below !== undefined) copy.setAll(below);
        copy.setAll(table);
        const cold: ColdClaims = {
          size: copy.size,
          bytes: copy.bytes,
          get: (tenant: number, id: IdWords) => copy.get(tenant, id),
        };
        tables.set(cold, copy);
        return cold;
      },
      remove: (cold) => {
        tables.delete(cold);
      },
    };
    const DAY = 24 * HOUR;
    const index = new ClaimIndex({
      windowMs: 2 * DAY,
      skewMs: 0,
      cold: { store: memoryStore, memoryMs: 10_000 },
    });
    const idOf = (n: number) => {
      const bytes = new Uint8Array(16);
      new DataView(bytes.buffer).setUint32(12, n);
      return bytes;
    };
    // 40 slices of 5 s, 300 ids each, two messages per slice; the replay's clock moves 1 s a message
    // while the ids it applies are a day old (every slice is past the memory horizon).
    const now = T0 + DAY;
    let n = 0;
    for (let message = 0; message < 80; message++) {
      const claims = Array.from({ length: 150 }, () => {
        const idTimeMs = T0 + Math.floor(n / 300) * 5000 + (n % 300);
        return { tenant: 'acme', eventId: idOf(n++), idTimeMs, supersedes: 0 };
      });
      index.apply(message + 1, claims);
      index.expire(now + message * 1000);
      for (let i = 0; i < 5; i++) await Promise.resolve(); // a write completes (the store answers at once)
    }
    expect(written.length).toBeGreaterThanOrEqual(38);
    expect(written.every((w) => w.size === 300 && !w.merged)).toBe(true);
    for (let k = 0; k < n; k += 97)
      expect(index.winner(claimKey('acme', idOf(k)), T0 + Math.floor(k / 300) * 5000)).toBe(
        claimPosition(Math.floor(k / 150) + 1, k % 150),
      );
    expect(index.size).toBe(12_000);
  });
});

describe('ClaimSpillDirectory', () => {
  it("removes directories of processes that no longer run, and keeps the others'", async () => {
    const parent = await mkdtemp(join(tmpdir(), 'msi-claim-spill-'));
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(parent, 'msi-ingest-claims-111-abc'));
    await mkdir(join(parent, 'msi-ingest-claims-222-def'));
    await mkdir(join(parent, `msi-ingest-claims-${process.pid}-old`)); // an earlier process with our pid
    await mkdir(join(parent, 'unrelated'));
    const store = await ClaimSpillDirectory.open(parent, (pid) => pid === 222);
    const left = (await readdir(parent)).sort();
    expect(left).toEqual(
      ['msi-ingest-claims-222-def', store.path.slice(parent.length + 1), 'unrelated'].sort(),
    );
    await store.close();
    await rm(parent, { recursive: true, force: true });
  });
});
