import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  generateNoteKey,
  NOTE_ALG_COSIGNATURE_V1,
  type NoteVerifierKey,
  parseVerifierKey,
  verifierKeyOf,
  verifyCosignatures,
} from '@msi/core';
import { createLogger } from '@msi/service-kit';
import { type AddCheckpointResponse, addCheckpoint, formatAddCheckpointRequest } from '@msi/witness-client';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestLog } from './fixtures.test-helper.js';
import { type RunningWitness, startWitness } from './witness-server.js';

const witnessKey = generateNoteKey('witness.example/w1', randomBytes(32), NOTE_ALG_COSIGNATURE_V1);
const lines: Record<string, unknown>[] = [];
const serverLog = createLogger({
  service: 'witness',
  level: 'debug',
  write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
});

let dir: string;
let log: TestLog;
let clock: number;
const running: RunningWitness[] = [];

async function start(logKeys: readonly NoteVerifierKey[] = [verifierKeyOf(log.key.signer)]): Promise<string> {
  const witness = await startWitness({
    host: '127.0.0.1',
    port: 0,
    signer: witnessKey.signer,
    logKeys,
    stateFile: join(dir, 'witness-state.json'),
    nowMs: () => clock,
    log: serverLog,
  });
  running.push(witness);
  return `http://127.0.0.1:${witness.port}`;
}

async function stopAll(): Promise<void> {
  await Promise.all(running.splice(0).map((w) => w.close()));
}

/** The cosignature a 200 answer carries, verified with the witness's verifier key. */
function verified(response: AddCheckpointResponse, note: string): { time: number } {
  if (response.kind !== 'cosigned')
    throw new Error(`expected a cosignature, got ${JSON.stringify(response)}`);
  const found = verifyCosignatures(note + response.cosignatures, [parseVerifierKey(witnessKey.verifierKey)]);
  expect(found).toHaveLength(1);
  return found[0] as { time: number };
}

const stateText = (): Promise<string> => readFile(join(dir, 'witness-state.json'), 'utf8');

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'msi-witness-'));
  log = TestLog.create('example.org/log');
  clock = 1_700_000_000_000;
  lines.length = 0;
});
afterEach(async () => {
  await stopAll();
  await rm(dir, { recursive: true, force: true });
});
afterAll(stopAll);

describe('add-checkpoint', () => {
  it('cosigns a sequence of consistent checkpoints, at the witness clock, and prints its key', async () => {
    const url = await start();
    expect(running[0]?.verifierKey).toBe(witnessKey.verifierKey);
    let old = 0;
    for (const grow of [1, 2, 5, 8, 1, 30]) {
      log.append(grow);
      clock += 1500;
      const request = log.request(old);
      const cosigned = verified(await addCheckpoint(url, request), request.checkpoint);
      expect(cosigned.time).toBe(Math.floor(clock / 1000));
      old = log.size;
    }
    // the same checkpoint again is cosigned again (idempotent)
    const again = log.request(old);
    verified(await addCheckpoint(url, again), again.checkpoint);
  });

  it('accepts a first checkpoint of size 0, then grows from it', async () => {
    const url = await start();
    verified(await addCheckpoint(url, log.request(0)), log.checkpoint());
    log.append(3);
    verified(await addCheckpoint(url, log.request(0)), log.checkpoint());
  });

  it('refuses a fork with 422, cosigns nothing, keeps its state and logs an error', async () => {
    const url = await start();
    log.append(10);
    verified(await addCheckpoint(url, log.request(0)), log.checkpoint());
    const before = await stateText();
    const fork = log.fork(6).append(9);
    // the proof is honest for the forked history, but it does not start from the root the witness saw
    const response = await addCheckpoint(url, fork.request(10));
    expect(response).toMatchObject({ kind: 'refused', status: 422 });
    expect(await stateText()).toBe(before);
    expect(lines.some((l) => l.level === 'error' && l.code === 'INCONSISTENT')).toBe(true);
    // the honest continuation is still accepted
    log.append(4);
    verified(await addCheckpoint(url, log.request(10)), log.checkpoint());
  });

  it('refuses another root at the stored size with 409 (C2SP) and logs it as an error', async () => {
    const url = await start();
    log.append(5);
    verified(await addCheckpoint(url, log.request(0)), log.checkpoint());
    const fork = log.fork(2).append(3);
    const response = await addCheckpoint(url, fork.request(5));
    expect(response).toEqual({ kind: 'conflict', status: 409, currentSize: 5 });
    expect(lines.some((l) => l.level === 'error' && l.code === 'SAME_SIZE_OTHER_ROOT')).toBe(true);
  });

  it('answers 409 text/x.tlog.size with its current size when old does not match', async () => {
    const url = await start();
    log.append(7);
    verified(await addCheckpoint(url, log.request(0)), log.checkpoint());
    log.append(3);
    expect(await addCheckpoint(url, log.request(4))).toEqual({
      kind: 'conflict',
      status: 409,
      currentSize: 7,
    });
    const raw = await fetch(`${url}/add-checkpoint`, {
      method: 'POST',
      body: formatAddCheckpointRequest(log.request(0)),
    });
    expect(raw.status).toBe(409);
    expect(raw.headers.get('content-type')).toBe('text/x.tlog.size');
    expect(await raw.text()).toBe('7\n');
  });

  it('answers 404 for an unknown origin, 403 for a bad signature, 400 for garbage', async () => {
    const url = await start();
    log.append(4);
    const stranger = TestLog.create('example.org/other').append(4);
    expect(await addCheckpoint(url, stranger.request(0))).toMatchObject({ kind: 'refused', status: 404 });
    const impostor = generateNoteKey(log.key.signer.name, randomBytes(32)).signer; // same name, other key
    const forged = { oldSize: 0, proof: [], checkpoint: log.checkpoint(4, impostor) };
    expect(await addCheckpoint(url, forged)).toMatchObject({ kind: 'refused', status: 403 });
    expect(lines.some((l) => l.level === 'error' && l.code === 'SIGNATURE_INVALID')).toBe(true);
    const tampered = log.checkpoint().replace('\n4\n', '\n5\n');
    expect(await addCheckpoint(url, { oldSize: 0, proof: [], checkpoint: tampered })).toMatchObject({
      status: 403,
    });
    for (const body of ['garbage', 'old 0\n\nnot a checkpoint\n', `old 5\n\n${log.checkpoint()}`]) {
      const response = await fetch(`${url}/add-checkpoint`, { method: 'POST', body });
      expect(response.status).toBe(400);
    }
    expect((await fetch(`${url}/add-checkpoint`)).status).toBe(405);
    expect((await fetch(`${url}/other`, { method: 'POST', body: 'x' })).status).toBe(404);
    expect((await fetch(`${url}/add-checkpoint`, { method: 'POST', body: 'x'.repeat(70_000) })).status).toBe(
      413,
    );
    // nothing of the above changed the state: old 0 is still expected
    verified(await addCheckpoint(url, log.request(0)), log.checkpoint());
  });

  it('keeps its state across a restart: refuses a fork of what it saw, accepts the continuation', async () => {
    let url = await start();
    log.append(12);
    verified(await addCheckpoint(url, log.request(0)), log.checkpoint());
    await stopAll();
    url = await start();
    expect(await addCheckpoint(url, log.fork(12).request(0))).toEqual({
      kind: 'conflict',
      status: 409,
      currentSize: 12,
    });
    expect(await addCheckpoint(url, log.fork(8).append(6).request(12))).toMatchObject({ status: 422 });
    log.append(6);
    verified(await addCheckpoint(url, log.request(12)), log.checkpoint());
  });

  it('serialises concurrent requests for one origin: only one succeeds from the same old size', async () => {
    const url = await start();
    log.append(3);
    verified(await addCheckpoint(url, log.request(0)), log.checkpoint());
    const a = log.fork(3).append(5);
    const b = log.fork(3).append(9);
    const [ra, rb] = await Promise.all([addCheckpoint(url, a.request(3)), addCheckpoint(url, b.request(3))]);
    const kinds = [ra.kind, rb.kind].sort();
    expect(kinds).toEqual(['conflict', 'cosigned']);
    const winner = ra.kind === 'cosigned' ? a : b;
    const loser = ra.kind === 'cosigned' ? rb : ra;
    expect(loser).toEqual({ kind: 'conflict', status: 409, currentSize: winner.size });
  });

  it('witnesses several logs in one state file', async () => {
    const other = TestLog.create('example.org/second');
    const url = await start([verifierKeyOf(log.key.signer), verifierKeyOf(other.key.signer)]);
    log.append(4);
    other.append(6);
    const [r1, r2] = await Promise.all([
      addCheckpoint(url, log.request(0)),
      addCheckpoint(url, other.request(0)),
    ]);
    verified(r1, log.checkpoint());
    verified(r2, other.checkpoint());
    await stopAll();
    const url2 = await start([verifierKeyOf(log.key.signer), verifierKeyOf(other.key.signer)]);
    expect(await addCheckpoint(url2, log.request(0))).toMatchObject({ currentSize: 4 });
    expect(await addCheckpoint(url2, other.request(0))).toMatchObject({ currentSize: 6 });
  });
});

describe('GET /checkpoints/<origin>', () => {
  it('serves the newest checkpoint it cosigned, with its cosignature; 404 before any; 405 for other methods', async () => {
    const url = await start();
    const at = `${url}/checkpoints/${encodeURIComponent('example.org/log')}`;
    expect((await fetch(at)).status).toBe(404);
    log.append(3);
    const note = log.checkpoint();
    verified(await addCheckpoint(url, log.request(0)), note);
    const served = await fetch(at);
    expect(served.status).toBe(200);
    const text = await served.text();
    expect(text.startsWith(note)).toBe(true);
    expect(verifyCosignatures(text, [parseVerifierKey(witnessKey.verifierKey)])).toHaveLength(1);
    expect((await fetch(at, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${url}/checkpoints/%E0%A4%A`)).status).toBe(400);
  });
});
