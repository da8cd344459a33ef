import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  appendToTileLog,
  emptyTileLog,
  generateNoteKey,
  NOTE_ALG_COSIGNATURE_V1,
  type NoteSigner,
  parseVerifierKey,
  signCheckpoint,
  type TileLogState,
  tileLogRoot,
  verifyCosignatures,
} from '@msi/core';
import { nodeHasher } from '@msi/crypto-node';
import { createLogger } from '@msi/service-kit';
import { TileLogClient } from '@msi/tiles-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TileFeed } from './tile-feed.js';
import { Witness } from './witness.js';
import { WitnessState } from './witness-state.js';

const hasher = nodeHasher();
const silent = createLogger({ service: 'witness', level: 'error', write: () => {} });

/** A tile log served over HTTP from memory: files written as entries are appended. */
class ServedTileLog {
  readonly files = new Map<string, Uint8Array>();
  state: TileLogState = emptyTileLog();
  checkpoint = '';
  constructor(readonly signer: NoteSigner) {}

  append(count: number): this {
    const entries = Array.from({ length: count }, (_, i) => randomBytes(8 + (i % 16)));
    const { state, files } = appendToTileLog(hasher, this.state, entries);
    for (const file of files) this.files.set(file.path, file.bytes);
    this.state = state;
    const root = tileLogRoot(hasher, state);
    this.checkpoint = signCheckpoint(
      { origin: this.signer.name, size: state.size, root, extensions: [] },
      this.signer,
    );
    return this;
  }

  /** An empty log under the same key: appended to, it is another history (a fork). */
  forkedCopy(): ServedTileLog {
    return new ServedTileLog(this.signer);
  }
}

let server: Server;
let base = '';
let served: ServedTileLog;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'msi-tile-feed-'));
  server = createServer((req, res) => {
    const path = (req.url ?? '/').slice(1);
    const body = path === 'checkpoint' ? Buffer.from(served.checkpoint) : served.files.get(path);
    if (body === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

async function newWitness(logKey: ReturnType<typeof generateNoteKey>, file: string) {
  const witnessKey = generateNoteKey('w.example', randomBytes(32), NOTE_ALG_COSIGNATURE_V1);
  const witness = new Witness({
    signer: witnessKey.signer,
    logKeys: [parseVerifierKey(logKey.verifierKey)],
    state: await WitnessState.open(join(dir, file)),
    hasher,
    nowMs: () => 1_900_000_000_000,
  });
  const feed = new TileFeed({
    witness,
    logs: [new TileLogClient(base, { hasher })],
    intervalMs: 60_000,
    log: silent,
  });
  return { witness, feed, witnessKey };
}

describe('the witness reading a tile log', () => {
  it('cosigns the first checkpoint it sees, then each larger one with a proof computed from the tiles', async () => {
    const logKey = generateNoteKey('log.example/calendar', randomBytes(32));
    served = new ServedTileLog(logKey.signer).append(300);
    const { witness, feed, witnessKey } = await newWitness(logKey, 'grow.json');

    expect(await feed.feedAll()).toEqual([{ kind: 'cosigned', origin: 'log.example/calendar', size: 300 }]);
    expect(await feed.feedAll()).toEqual([{ kind: 'unchanged', origin: 'log.example/calendar', size: 300 }]);
    for (const more of [1, 255, 70_000 - 556]) {
      served.append(more);
      const [result] = await feed.feedAll();
      expect(result).toEqual({ kind: 'cosigned', origin: 'log.example/calendar', size: served.state.size });
    }
    expect(witness.cosignedSize('log.example/calendar')).toBe(70_000);
    const note = witness.newestCosigned('log.example/calendar') ?? '';
    expect(note.startsWith(served.checkpoint)).toBe(true);
    expect(verifyCosignatures(note, [parseVerifierKey(witnessKey.verifierKey)]).map((c) => c.name)).toEqual([
      'w.example',
    ]);
  });

  it('refuses a fork served under the same key (the tiles lead to another root), and keeps what it cosigned', async () => {
    const logKey = generateNoteKey('log.example/forked', randomBytes(32));
    served = new ServedTileLog(logKey.signer).append(1000);
    const { witness, feed } = await newWitness(logKey, 'fork.json');
    expect((await feed.feedAll())[0]?.kind).toBe('cosigned');
    served = served.forkedCopy().append(1500); // another history of 1,500 entries, same signing key
    const [result] = await feed.feedAll();
    expect(result).toMatchObject({ kind: 'refused', origin: 'log.example/forked', code: 'INCONSISTENT' });
    expect(witness.cosignedSize('log.example/forked')).toBe(1000);
  });

  it('reports a log that does not answer or serves a malformed checkpoint, and a log it does not witness', async () => {
    const logKey = generateNoteKey('log.example/other', randomBytes(32));
    const { feed } = await newWitness(logKey, 'bad.json');
    served = new ServedTileLog(logKey.signer);
    served.checkpoint = 'not a checkpoint';
    expect((await feed.feedAll())[0]).toMatchObject({ kind: 'unreadable', code: 'MALFORMED' });
    const stranger = generateNoteKey('log.example/stranger', randomBytes(32));
    served = new ServedTileLog(stranger.signer).append(10);
    expect((await feed.feedAll())[0]).toMatchObject({ kind: 'refused', code: 'UNKNOWN_ORIGIN' });
    const gone = new TileFeed({
      witness: (await newWitness(logKey, 'gone.json')).witness,
      logs: [new TileLogClient('http://127.0.0.1:1/', { hasher, timeoutMs: 2000 })],
      intervalMs: 60_000,
      log: silent,
    });
    expect((await gone.feedAll())[0]).toMatchObject({ kind: 'unreadable', code: 'UNAVAILABLE' });
  });
});
