import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  coseTreeHeadPath,
  decodeEntryBundle,
  emptyTileLog,
  parseCheckpointNote,
  readCoseTreeHead,
  signCoseTreeHead,
  TILE_WIDTH,
} from '@msi/core';
import { merkleRoot, portableHasher } from '@msi/merkle';
import { createLogger } from '@msi/service-kit';
import { eventually } from '@msi/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calendarCheckpoint } from './calendar-queries.js';
import {
  calendarSizeOf,
  logKey,
  type Namespace,
  openNamespace,
  startInProcess,
} from './integration.test-helper.js';
import { roundRecords } from './round-records.js';
import { TileDirectory } from './tile-directory.js';
import { openTileLog, startTileWriter, writeTiles } from './tile-writer.js';

const ROUND_MS = 100;
const hasher = portableHasher();
const log = createLogger({ service: 'calendar', level: 'warn', write: () => {} });
let ns: Namespace;
let dir: string;
let stopCalendar: () => Promise<void> = async () => {};

beforeAll(async () => {
  ns = await openNamespace();
  dir = await mkdtemp(join(tmpdir(), 'msi-tiles-'));
  stopCalendar = (await startInProcess(ns, { intervalMs: ROUND_MS, instanceId: 'tiles-a' })).stop;
  await eventually('a few rounds', async () => ((await calendarSizeOf(ns.pool)) >= 5 ? true : undefined));
});

afterAll(async () => {
  await stopCalendar();
  await ns?.cleanup();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('the tile writer', () => {
  it('writes the calendar as tiles as rounds anchor, its checkpoint last', async () => {
    const sizes: number[] = [];
    const writer = startTileWriter({
      db: ns.pool,
      directory: new TileDirectory(dir),
      hasher,
      pollMs: ROUND_MS,
      log,
      onCheckpoint: (size) => sizes.push(size),
    });
    await eventually('two checkpoints written', async () => (sizes.length >= 2 ? true : undefined));
    await writer.stop();
    const { checkpoint } = parseCheckpointNote(await readFile(join(dir, 'checkpoint')));
    expect(checkpoint.size).toBe(sizes.at(-1));
    expect(checkpoint.size).toBeLessThan(TILE_WIDTH);
    expect((await calendarCheckpoint(ns.pool, checkpoint.size))?.note).toBe(
      (await readFile(join(dir, 'checkpoint'), 'utf8')).slice(
        0,
        (await calendarCheckpoint(ns.pool, checkpoint.size))?.note.length,
      ),
    );
    const records = await roundRecords(ns.pool, 0, checkpoint.size);
    const bundle = await readFile(join(dir, `tile/entries/000.p/${checkpoint.size}`));
    expect(decodeEntryBundle(new Uint8Array(bundle), checkpoint.size)).toEqual(records);
    const tile = new Uint8Array(await readFile(join(dir, `tile/0/000.p/${checkpoint.size}`)));
    expect(tile.slice(0, 32)).toEqual(hasher.hashLeaf(records[0] as Uint8Array));
    expect(merkleRoot(hasher, records)).toEqual(checkpoint.root);
    // Every partial width the writer passed through is still there for clients of older checkpoints.
    expect((await readdir(join(dir, 'tile/0/000.p'))).length).toBeGreaterThanOrEqual(2);
  });

  it('resumes from the directory after a restart, and refuses to rewrite a tile with other bytes', async () => {
    const directory = new TileDirectory(dir);
    const state = await openTileLog(directory, hasher);
    await eventually('the calendar to grow', async () =>
      (await calendarSizeOf(ns.pool)) > state.size + 1 ? true : undefined,
    );
    const next = await writeTiles(
      { db: ns.pool, directory, hasher, pollMs: ROUND_MS, log },
      state,
      undefined,
    );
    expect(next.state.size).toBeGreaterThan(state.size);
    expect(await openTileLog(directory, hasher)).toEqual(next.state);

    const path = join(dir, `tile/0/000.p/${next.state.size}`);
    const bytes = new Uint8Array(await readFile(path));
    bytes[0] = (bytes[0] as number) ^ 1;
    await writeFile(path, bytes);
    await expect(openTileLog(directory, hasher)).rejects.toMatchObject({ code: 'ROOT_MISMATCH' });
    // Writing the same rounds again (as after a crash before the checkpoint) meets the changed tile.
    const again = {
      db: ns.pool,
      directory,
      hasher,
      pollMs: ROUND_MS,
      log,
      batch: next.state.size - state.size,
    };
    await expect(writeTiles(again, state, undefined)).rejects.toMatchObject({ code: 'TILE_CONFLICT' });
  });

  it('catches up a new directory in batches, each step saying whether more remains', async () => {
    const fresh = await mkdtemp(join(tmpdir(), 'msi-tiles-fresh-'));
    try {
      const directory = new TileDirectory(fresh);
      const options = { db: ns.pool, directory, hasher, pollMs: ROUND_MS, log, batch: 2 };
      let step = await writeTiles(options, await openTileLog(directory, hasher), undefined);
      const steps = [step];
      while (step.behind) {
        step = await writeTiles(options, step.state, step.checkpoint);
        steps.push(step);
      }
      expect(steps.length).toBeGreaterThan(2);
      expect(steps.slice(0, -1).every((s) => s.behind && s.state.size % 2 === 0)).toBe(true);
      expect(await openTileLog(directory, hasher)).toEqual(step.state);
    } finally {
      await rm(fresh, { recursive: true, force: true });
    }
  });

  it('signs the COSE tree head of every size it writes, with the log key, before the checkpoint', async () => {
    const fresh = await mkdtemp(join(tmpdir(), 'msi-tiles-cose-'));
    try {
      const directory = new TileDirectory(fresh);
      const options = {
        db: ns.pool,
        directory,
        hasher,
        pollMs: ROUND_MS,
        log,
        batch: 2,
        coseSigner: logKey.signer,
      };
      let step = await writeTiles(options, await openTileLog(directory, hasher), undefined);
      while (step.behind) step = await writeTiles(options, step.state, step.checkpoint);
      for (let size = 1; size <= step.state.size; size++) {
        const stored = await calendarCheckpoint(ns.pool, size);
        const file = await directory.read(coseTreeHeadPath(size));
        expect(file, `size ${size}`).toBeDefined();
        const checkpoint = parseCheckpointNote(stored?.note ?? '').checkpoint;
        expect(file).toEqual(signCoseTreeHead(logKey.signer, checkpoint));
        expect(readCoseTreeHead(file as Uint8Array).size).toBe(size);
      }
      // a repeated step (after a crash) writes the same bytes: the files stay immutable
      const again = await writeTiles(options, emptyTileLog(), undefined);
      expect(again.state.size).toBe(2);
    } finally {
      await rm(fresh, { recursive: true, force: true });
    }
  });
});
