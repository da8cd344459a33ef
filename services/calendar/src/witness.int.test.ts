import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  generateNoteKey,
  NOTE_ALG_COSIGNATURE_V1,
  openCheckpoint,
  parseVerifierKey,
  verifyCosignatures,
} from '@msi/core';
import { streamV1 } from '@msi/proto';
import { createLogger } from '@msi/service-kit';
import { eventually, freePort, repositoryRoot } from '@msi/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calendarCosignedCheckpoint, witnessSizes } from './cosignature-store.js';
import {
  calendarSizeOf,
  logKey,
  type Namespace,
  openNamespace,
  startInProcess,
} from './integration.test-helper.js';
import { readRange, streamEnd } from './jetstream-log.js';
import { parseWitnessList, type WitnessTarget } from './witness-list.js';
import { type RunningSubmitter, startWitnessSubmitter } from './witness-submitter.js';

const INTERVAL = 200;
const silent = createLogger({ service: 'test', level: 'error', write: () => {} });
const logVerifier = parseVerifierKey(logKey.verifierKey);
const keys = ['a', 'b'].map((n) =>
  generateNoteKey(`witness-${n}.test`, randomBytes(32), NOTE_ALG_COSIGNATURE_V1),
);
const witnessKeys = keys.map((k) => parseVerifierKey(k.verifierKey));

interface TestWitness {
  readonly port: number;
  readonly stateFile: string;
  running: WitnessProcess | undefined;
}

let ns: Namespace;
let ns2: Namespace | undefined;
let dir: string;
let witnesses: TestWitness[] = [];
let targets: WitnessTarget[];
const stops: (() => Promise<void>)[] = [];

/** A witness process (`node services/witness/dist/main.js`): the calendar never imports the witness. */
interface WitnessProcess {
  close(): Promise<void>;
}

async function startTestWitness(w: TestWitness, i: number): Promise<void> {
  const child: ChildProcess = spawn(
    process.execPath,
    [join(repositoryRoot(), 'services/witness/dist/main.js')],
    {
      env: {
        PATH: process.env.PATH ?? '',
        MSI_WITNESS_LISTEN: `127.0.0.1:${w.port}`,
        MSI_WITNESS_KEY: (keys[i] ?? keys[0])?.signerKey ?? fail(),
        MSI_WITNESS_LOGS: logKey.verifierKey,
        MSI_WITNESS_STATE_FILE: w.stateFile,
        MSI_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('"msg":"witness up"')) resolve();
    });
    void exited.then(() => reject(new Error(`the witness exited before it was up:\n${out}`)));
  });
  w.running = {
    async close() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function fail(): never {
  throw new Error('unreachable');
}

function submitter(namespace: Namespace): RunningSubmitter {
  const running = startWitnessSubmitter({
    pool: namespace.pool,
    js: namespace.js,
    subjects: namespace.subjects,
    witnesses: targets,
    pollMs: INTERVAL / 2,
    requestTimeoutMs: 1000,
    publishTimeoutMs: 2000,
    maxBackoffMs: 400,
    nowMs: Date.now,
    log: silent,
  });
  stops.push(() => running.stop());
  return running;
}

/** Every message of `stream` on `subject`. */
async function messagesOf(namespace: Namespace, stream: string, subject: string) {
  const end = await streamEnd(namespace.jsm, stream);
  return (await readRange(namespace.jsm, stream, 1, end)).filter((m) => m.subject === subject);
}

beforeAll(async () => {
  ns = await openNamespace();
  dir = await mkdtemp(join(tmpdir(), 'calendar-witness-'));
  witnesses = [
    { port: await freePort(), stateFile: join(dir, 'a.json'), running: undefined },
    { port: await freePort(), stateFile: join(dir, 'b.json'), running: undefined },
  ];
  targets = parseWitnessList(
    witnesses.map((w, i) => `http://127.0.0.1:${w.port}=${keys[i]?.verifierKey}`).join(','),
  ).witnesses;
  expect(targets).toHaveLength(2);
  // Witness a is up; witness b is not started yet.
  await startTestWitness(witnesses[0] ?? fail(), 0);
  const calendar = await startInProcess(ns, { intervalMs: INTERVAL, instanceId: 'witnessed-a' });
  stops.push(calendar.stop);
  submitter(ns);
});

afterAll(async () => {
  for (const stop of stops.reverse()) await stop().catch(() => {});
  for (const w of witnesses) await w.running?.close().catch(() => {});
  await ns2?.cleanup();
  await ns?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('witness submission (real NATS, Postgres and two witnesses)', () => {
  it('a witness that is down delays nothing, and catches up with the newest checkpoint once started', async () => {
    const [a, b] = targets as [WitnessTarget, WitnessTarget];
    await eventually('witness a to cosign 3 checkpoints', async () => {
      const sizes = await witnessSizes(ns.pool);
      return (sizes.get(a.name) ?? 0) >= 3 ? true : undefined;
    });
    const sizeWhileDown = await calendarSizeOf(ns.pool);
    expect((await witnessSizes(ns.pool)).get(b.name)).toBeUndefined();
    await startTestWitness(witnesses[1] ?? fail(), 1);
    const caughtUp = await eventually('witness b to catch up', async () => {
      const size = (await witnessSizes(ns.pool)).get(b.name) ?? 0;
      return size > sizeWhileDown ? size : undefined;
    });
    // One step: b never cosigned the sizes it missed while down.
    const cosigned = await ns.pool.query(
      'SELECT size FROM calendar.cosignatures WHERE witness = $1 ORDER BY size',
      [b.name],
    );
    expect(Number(cosigned.rows[0]?.size)).toBeGreaterThan(sizeWhileDown);
    expect(caughtUp).toBeGreaterThan(sizeWhileDown);
  });

  it('cosigns every checkpoint with both witnesses; CheckpointCosigned notes verify with both keys', async () => {
    const start = await calendarSizeOf(ns.pool);
    // Every checkpoint is covered within a few rounds: both witnesses reach each size the calendar had.
    await eventually('both witnesses at the calendar size of the start and 3 more', async () => {
      const sizes = await witnessSizes(ns.pool);
      return targets.every((t) => (sizes.get(t.name) ?? 0) >= start + 3) ? true : undefined;
    });
    const both = await ns.pool.query(
      'SELECT size FROM calendar.cosignatures GROUP BY size HAVING count(*) = 2 ORDER BY size',
    );
    expect(both.rows.length).toBeGreaterThanOrEqual(2);

    const messages = await messagesOf(ns, ns.streams.checkpoints, ns.subjects.checkpoints);
    const decoded = messages.map((m) => streamV1.CheckpointCosigned.decode(m.data));
    const full = decoded.filter((m) => verifyCosignatures(m.checkpoint, witnessKeys).length === 2);
    expect(full.length).toBeGreaterThanOrEqual(2);
    for (const message of decoded) {
      const opened = openCheckpoint(message.checkpoint, [logVerifier]);
      expect(BigInt(opened.checkpoint.size)).toBe(message.size);
      expect(verifyCosignatures(message.checkpoint, witnessKeys).length).toBeGreaterThanOrEqual(1);
    }
    // Receipt-style check on what the calendar serves: log key + quorum of 2 witnesses.
    const size = Number(both.rows.at(-1)?.size);
    const served = await calendarCosignedCheckpoint(ns.pool, size);
    expect(served?.witnesses).toHaveLength(2);
    expect(openCheckpoint(served?.note ?? '', [logVerifier]).checkpoint.size).toBe(size);
    const cosignatures = verifyCosignatures(served?.note ?? '', witnessKeys);
    expect(cosignatures.map((c) => c.name).sort()).toEqual(targets.map((t) => t.name).sort());
  });

  it('a witness closed then restarted on the same state file catches up, rounds go on meanwhile', async () => {
    const [a] = targets as [WitnessTarget];
    const w = witnesses[0] ?? fail();
    await w.running?.close();
    w.running = undefined;
    const sizeAtClose = await calendarSizeOf(ns.pool);
    await eventually('3 more rounds while witness a is down', async () =>
      (await calendarSizeOf(ns.pool)) >= sizeAtClose + 3 ? true : undefined,
    );
    const before = (await witnessSizes(ns.pool)).get(a.name) ?? 0;
    expect(before).toBeLessThanOrEqual(sizeAtClose);
    // The witness's durable state survives the restart: it still holds the size it last cosigned.
    const state = JSON.parse(await readFile(w.stateFile, 'utf8')) as {
      logs: Record<string, { size: number }>;
    };
    expect(state.logs[logKey.signer.name]?.size).toBeGreaterThanOrEqual(Math.max(1, before));
    await startTestWitness(w, 0);
    const size = await eventually('witness a to cosign again', async () => {
      const now = (await witnessSizes(ns.pool)).get(a.name) ?? 0;
      return now >= sizeAtClose + 3 ? now : undefined;
    });
    const served = await calendarCosignedCheckpoint(ns.pool, size);
    expect(verifyCosignatures(served?.note ?? '', witnessKeys).map((c) => c.name)).toContain(a.name);
  });

  it('a second calendar signing a forked history with the same key is refused by both witnesses', async () => {
    // Stop the honest calendar so the fork overtakes what the witnesses hold quickly.
    for (const stop of stops.splice(0).reverse()) await stop();
    ns2 = await openNamespace();
    const forked = await startInProcess(ns2, { intervalMs: 100, instanceId: 'forked-b' });
    stops.push(forked.stop);
    submitter(ns2);
    const other = ns2;
    const refusals = await eventually(
      'WitnessRefused from both witnesses',
      async () => {
        const messages = await messagesOf(
          other,
          other.streams.integrity,
          other.subjects.integrity('witness'),
        );
        const decoded = messages.map((m) => streamV1.WitnessRefused.decode(m.data));
        const names = new Set(decoded.map((r) => r.witness));
        return names.size === 2 ? decoded : undefined;
      },
      { timeoutMs: 30_000 },
    );
    for (const refusal of refusals) {
      expect(refusal.status).toBe(422);
      expect(refusal.url).toMatch(/^http:\/\/127\.0\.0\.1:/);
      expect(openCheckpoint(refusal.checkpoint, [logVerifier]).checkpoint.size).toBe(Number(refusal.size));
    }
    const { rows } = await other.pool.query('SELECT count(*)::int AS n FROM calendar.cosignatures');
    expect(rows[0]?.n).toBe(0);
  }, 40_000);
});
