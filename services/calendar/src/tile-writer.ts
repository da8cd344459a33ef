import {
  appendToTileLog,
  bytesEqual,
  coseTreeHeadPath,
  decodeEntryBundle,
  emptyTileLog,
  entriesPath,
  type NoteSigner,
  parseCheckpointNote,
  partialTiles,
  signCoseTreeHead,
  TILE_WIDTH,
  TileError,
  type TileLogState,
  tileLogFromPartials,
  tileLogRoot,
  tilePath,
} from '@msi/core';
import type { MerkleHasher } from '@msi/merkle';
import type { Queryable } from '@msi/postgres';
import { every, type Logger } from '@msi/service-kit';
import { calendarRoots } from './calendar-queries.js';
import { calendarCosignedCheckpoint } from './cosignature-store.js';
import { roundRecords } from './round-records.js';
import type { TileDirectory } from './tile-directory.js';

export interface TileWriterOptions {
  /** The calendar database: rounds and checkpoints are read from it. */
  readonly db: Queryable;
  readonly directory: TileDirectory;
  readonly hasher: MerkleHasher;
  /** How often the database is polled for new rounds and cosignatures, ms. */
  readonly pollMs: number;
  /** Most rounds written in one step (memory at catch-up). */
  readonly batch?: number;
  readonly log: Logger;
  /**
   * The calendar's log key: when given, the COSE tree head of every size written (docs/PROOFS.md
   * §16) is signed with it and written as `cose/tree-head/<N>`, before the checkpoint.
   */
  readonly coseSigner?: NoteSigner;
  /** Called after each checkpoint written (tests, metrics). */
  readonly onCheckpoint?: (size: number) => void;
}

const DEFAULT_BATCH = 16 * TILE_WIDTH;

/**
 * The log in the directory as the writer left it: its checkpoint's size, the partial tiles and
 * bundle of that size, checked to hash to the checkpoint's root (ROOT_MISMATCH: the directory is
 * damaged or holds another log). An empty directory is the empty log.
 */
export async function openTileLog(directory: TileDirectory, hasher: MerkleHasher): Promise<TileLogState> {
  const text = await directory.read('checkpoint');
  if (text === undefined) return emptyTileLog();
  const { checkpoint } = parseCheckpointNote(text);
  const tiles = new Map<string, Uint8Array>();
  for (const tile of partialTiles(checkpoint.size)) {
    const bytes = await directory.read(tilePath(tile));
    if (bytes !== undefined) tiles.set(tilePath(tile), bytes);
  }
  const width = checkpoint.size % TILE_WIDTH;
  const bundleBytes =
    width === 0
      ? undefined
      : await directory.read(entriesPath(Math.floor(checkpoint.size / TILE_WIDTH), width));
  if (width > 0 && bundleBytes === undefined) {
    throw new TileError('TILE_MISSING', `the entry bundle of a log of ${checkpoint.size} is missing`);
  }
  const bundle = bundleBytes === undefined ? [] : decodeEntryBundle(bundleBytes, width);
  const state = tileLogFromPartials(checkpoint.size, (path) => tiles.get(path), bundle);
  if (!bytesEqual(tileLogRoot(hasher, state), checkpoint.root)) {
    throw new TileError(
      'ROOT_MISMATCH',
      `the tiles do not hash to the root of the checkpoint of ${checkpoint.size}`,
    );
  }
  return state;
}

/**
 * One step: appends the rounds the database holds beyond the directory's log (at most `batch`),
 * checks that the new tiles hash to the stored checkpoint's root BEFORE writing any of them, writes
 * the tiles and bundles (immutable: TILE_CONFLICT if one exists with other bytes), removes the
 * partial files a full one supersedes, the COSE tree heads of the new sizes (with `coseSigner`),
 * then the checkpoint, with every cosignature stored for it.
 * With no new round, rewrites the checkpoint when new cosignatures of its size arrived. `behind`:
 * the database holds more rounds than this step wrote.
 */
export async function writeTiles(
  options: TileWriterOptions,
  state: TileLogState,
  written: string | undefined,
): Promise<{ state: TileLogState; checkpoint: string | undefined; behind: boolean }> {
  const { db, directory, hasher } = options;
  const newest = await calendarCosignedCheckpoint(db);
  if (newest === undefined || newest.size < state.size) return { state, checkpoint: written, behind: false };
  const to = Math.min(newest.size, state.size + (options.batch ?? DEFAULT_BATCH));
  const target = to === newest.size ? newest : await calendarCosignedCheckpoint(db, to);
  if (target === undefined) throw new Error(`the calendar has no checkpoint of size ${to}`);
  const { state: next, files } = appendToTileLog(hasher, state, await roundRecords(db, state.size, to));
  if (!bytesEqual(tileLogRoot(hasher, next), target.root)) {
    throw new TileError(
      'ROOT_MISMATCH',
      `rounds 0…${to - 1} do not hash to the root of the checkpoint of ${to}`,
    );
  }
  for (const file of files) {
    await directory.writeImmutable(file.path, file.bytes);
    if (file.full) await directory.removePartials(file.path);
  }
  if (options.coseSigner !== undefined) await writeCoseTreeHeads(options, options.coseSigner, state.size, to);
  if (target.note !== written) {
    await directory.writeCheckpoint(target.note);
    options.onCheckpoint?.(to);
  }
  return { state: next, checkpoint: target.note, behind: to < newest.size };
}

/**
 * Signs and writes the COSE tree heads of sizes (from, to] from the stored checkpoints' roots (the
 * calendar signed each as a checkpoint already: the COSE signature states the same tree). Ed25519 is
 * deterministic, so a step repeated after a crash writes the same bytes and the files stay immutable.
 */
async function writeCoseTreeHeads(
  options: TileWriterOptions,
  signer: NoteSigner,
  from: number,
  to: number,
): Promise<void> {
  for (const { size, root } of await calendarRoots(options.db, from, to)) {
    const treeHead = signCoseTreeHead(signer, { origin: signer.name, size, root, extensions: [] });
    await options.directory.writeImmutable(coseTreeHeadPath(size), treeHead);
  }
}

/** A running tile writer. */
export interface RunningTileWriter {
  /** Rejects with a TileError when the directory cannot be kept consistent (the process should stop). */
  readonly failed: Promise<never>;
  stop(): Promise<void>;
}

/**
 * Writes the calendar as a C2SP tlog-tiles log as rounds anchor: opens the directory's log, then
 * polls the database every `pollMs`. Database and file-system errors are logged and retried; a
 * TileError (a tile that would change, tiles not hashing to a checkpoint) stops the writer through
 * `failed`: serving a log inconsistent with its checkpoints is worse than serving none.
 */
export function startTileWriter(options: TileWriterOptions): RunningTileWriter {
  let fail: (error: unknown) => void = () => {};
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  failed.catch(() => {});
  let state: TileLogState | undefined;
  let written: string | undefined;
  const loop = every({
    intervalMs: options.pollMs,
    async run() {
      state ??= await openTileLog(options.directory, options.hasher);
      const step = await writeTiles(options, state, written);
      ({ state, checkpoint: written } = step);
      // Catching up (a new directory, a long outage): the next batch at once.
      return step.behind ? 0 : undefined;
    },
    onError(error) {
      if (error instanceof TileError) {
        options.log.error('tile writer stopped: the tile log cannot be kept consistent', { error });
        fail(error);
        void loop.stop();
        return;
      }
      options.log.warn('tile writer step failed; retrying', { error });
    },
  });
  return { failed, stop: () => loop.stop() };
}
