import { openCheckpoint, verifierKeyOf } from '@msi/core';
import { portableHasher, verifyConsistency } from '@msi/merkle';
import { createPool, type Pool } from '@msi/postgres';
import { streamV1 } from '@msi/proto';
import { createFreshDatabase, eventually, type FreshDatabase } from '@msi/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calendarConsistencyProof } from './calendar-nodes.js';
import { makeSeal, testKey } from './fixtures.test-helper.js';
import {
  type CalendarProcess,
  calendarSizeOf,
  logKey,
  type Namespace,
  openNamespace,
  processEnv,
  publishSeal,
  spawnCalendar,
  storedRounds,
} from './integration.test-helper.js';

const hasher = portableHasher();
const INTERVAL = 250;
const LEASE = 1000;
const processes: CalendarProcess[] = [];
const pools: Pool[] = [];
const databases: FreshDatabase[] = [];
let ns: Namespace;
let sealNumber = 0;

beforeAll(async () => {
  ns = await openNamespace();
});

afterAll(async () => {
  for (const p of processes) await p.kill('SIGKILL');
  for (const pool of pools) await pool.end().catch(() => {});
  for (const db of databases) await db.drop().catch(() => {});
  await ns?.cleanup();
});

function start(databaseUrl: string, instanceId: string, signingKey?: string): CalendarProcess {
  const env = processEnv(ns, {
    intervalMs: INTERVAL,
    instanceId,
    leaseMs: LEASE,
    databaseUrl,
    ...(signingKey === undefined ? {} : { signingKey }),
  });
  const p = spawnCalendar(env);
  processes.push(p);
  return p;
}

function poolOf(url: string): Pool {
  const pool = createPool({ connectionString: url, max: 2 });
  pools.push(pool);
  return pool;
}

async function publishSeals(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await publishSeal(ns, makeSeal(3, sealNumber++, Date.now() * 1000));
}

const sizeAtLeast = (pool: Pool, size: number) =>
  eventually(`calendar size ${size}`, async () => ((await calendarSizeOf(pool)) >= size ? true : undefined));

/** Round records on <prefix>.rounds, in stream order. */
async function publishedRounds(): Promise<Uint8Array[]> {
  const { state } = await ns.jsm.streams.info(ns.streams.rounds);
  const rounds: Uint8Array[] = [];
  for (let seq = 1; seq <= state.last_seq; seq++) {
    const message = await ns.jsm.streams.getMessage(ns.streams.rounds, { seq });
    rounds.push(new Uint8Array(streamV1.RoundAnchored.decode(message?.data ?? new Uint8Array()).round));
  }
  return rounds;
}

describe('a calendar on a restored (older) database', () => {
  it('catches up from <prefix>.rounds before appending, and never forks', async () => {
    const original = start(ns.db.url, 'cal-original');
    await publishSeals(3);
    await sizeAtLeast(ns.pool, 4);
    await original.kill('SIGKILL');
    const backup = await ns.copyDatabase(); // the backup, taken at size n
    const backupPool = poolOf(backup.url);
    const n = await calendarSizeOf(backupPool);

    const resumed = start(ns.db.url, 'cal-original');
    await publishSeals(3);
    await sizeAtLeast(ns.pool, n + 4);
    resumed.child.kill('SIGTERM');
    expect(await resumed.exited).toBe(0); // drained its outbox: everything is published
    const m = await calendarSizeOf(ns.pool);
    expect((await publishedRounds()).length).toBe(m);

    // The restored calendar: behind the published checkpoint of size m, it must replay n … m − 1 first.
    const restored = start(backup.url, 'cal-restored');
    await publishSeals(2);
    await sizeAtLeast(backupPool, m + 3);
    await eventually('the restored calendar to publish', async () =>
      (await publishedRounds()).length >= m + 3 ? true : undefined,
    );
    await restored.kill('SIGTERM');

    const originalRounds = await storedRounds(ns.pool);
    const restoredRounds = await storedRounds(backupPool);
    for (let k = 0; k < m; k++) expect(restoredRounds[k]?.record).toEqual(originalRounds[k]?.record);
    expect(restoredRounds.slice(n, m).every((r) => r.replayed)).toBe(true);
    expect(restoredRounds.slice(m).every((r) => !r.replayed && r.writer === 'cal-restored')).toBe(true);
    expect(restored.lines().some((l) => l.msg === 'caught up from the rounds stream')).toBe(true);

    // The stream is one log: each round once, in order, the database's bytes.
    const published = await publishedRounds();
    expect(published.length).toBe(restoredRounds.length);
    expect(published).toEqual(restoredRounds.map((r) => r.record));

    // The published checkpoint of size m is consistent with the restored calendar's latest.
    const key = verifierKeyOf(logKey.signer);
    const { rows } = await backupPool.query(
      'SELECT size, note FROM calendar.checkpoints WHERE size IN ($1, $2)',
      [m, restoredRounds.length],
    );
    const [at, latest] = rows.map((row) => openCheckpoint(String(row.note), [key]).checkpoint);
    const proof = await calendarConsistencyProof(backupPool, m, restoredRounds.length);
    verifyConsistency(
      hasher,
      m,
      restoredRounds.length,
      proof,
      at?.root ?? new Uint8Array(),
      latest?.root ?? new Uint8Array(),
    );
    // Every seal was anchored exactly once in the restored log.
    const { rows: anchored } = await backupPool.query('SELECT count(*) AS n FROM calendar.round_seals');
    expect(Number(anchored[0]?.n)).toBe(sealNumber);
  });

  it('refuses to append at all when the published history does not verify with its key', async () => {
    const db = await createFreshDatabase(ns.adminUrl, 'calendar');
    databases.push(db);
    const before = (await publishedRounds()).length;
    expect(before, 'the rounds published by the previous test').toBeGreaterThan(0);
    const impostor = testKey(logKey.signer.name, 99); // same origin, another key
    const p = start(db.url, 'cal-impostor', impostor.signerKey);
    expect(await p.exited).toBe(1);
    const fatal = p.lines().find((l) => l.msg === 'calendar stopped: it refuses to append');
    expect(fatal?.code).toBe('HISTORY_UNVERIFIABLE');
    expect(await calendarSizeOf(poolOf(db.url))).toBe(0);
    expect((await publishedRounds()).length).toBe(before);
  });
});
