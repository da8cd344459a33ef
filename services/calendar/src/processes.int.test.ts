import { openCheckpoint, verifierKeyOf } from '@msi/core';
import { portableHasher, verifyConsistency } from '@msi/merkle';
import { eventually } from '@msi/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { calendarConsistencyProof } from './calendar-nodes.js';
import { calendarCheckpoint } from './calendar-queries.js';
import { makeSeal } from './fixtures.test-helper.js';
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
import { SCHEMA } from './schema.js';

const hasher = portableHasher();
const INTERVAL = 250;
const LEASE = 1200;
const processes: CalendarProcess[] = [];
const namespaces: Namespace[] = [];

afterEach(async () => {
  for (const p of processes.splice(0)) await p.kill('SIGKILL');
  for (const ns of namespaces.splice(0)) await ns.cleanup();
});

async function namespace(): Promise<Namespace> {
  const ns = await openNamespace();
  namespaces.push(ns);
  return ns;
}

function start(ns: Namespace, instanceId: string): CalendarProcess {
  const p = spawnCalendar(processEnv(ns, { intervalMs: INTERVAL, instanceId, leaseMs: LEASE }));
  processes.push(p);
  return p;
}

const up = (p: CalendarProcess) =>
  eventually('the calendar to be up', async () =>
    p.lines().some((l) => l.msg === 'calendar up') ? true : undefined,
  );

const sizeAtLeast = (ns: Namespace, size: number, timeoutMs = 15_000) =>
  eventually(
    `calendar size ${size}`,
    async () => ((await calendarSizeOf(ns.pool)) >= size ? true : undefined),
    { timeoutMs: timeoutMs },
  );

/** Publishes a seal on shard 0 or 1 every 60 ms until stopped; returns the (shard, seal_number) pairs. */
function sealPublisher(ns: Namespace) {
  const published: string[] = [];
  let running = true;
  const done = (async () => {
    for (let n = 0; running; n++) {
      const seal = makeSeal(n % 2, Math.floor(n / 2), Date.now() * 1000);
      await publishSeal(ns, seal);
      published.push(`${seal.record.shard}/${seal.record.sealNumber}`);
      await new Promise((resolve) => setTimeout(resolve, 60));
    }
  })();
  return {
    published,
    async stop() {
      running = false;
      await done;
    },
  };
}

/** Rounds 0…n−1 each once, closed_at strictly increasing, seal ranges back to back. */
async function expectGaplessLog(ns: Namespace) {
  const rounds = await storedRounds(ns.pool);
  rounds.forEach((round, i) => {
    expect(round.k).toBe(i);
    if (i === 0) return;
    const previous = rounds[i - 1];
    expect(round.closedAt).toBeGreaterThan(previous?.closedAt ?? Infinity);
    expect(round.sealsStart).toBe(previous?.sealsEnd);
  });
  return rounds;
}

/** Every stored checkpoint verifies; the consistency proof between the two sizes verifies. */
async function expectConsistent(ns: Namespace, size1: number, size2: number) {
  const key = verifierKeyOf(logKey.signer);
  const first = openCheckpoint((await calendarCheckpoint(ns.pool, size1))?.note ?? '', [key]).checkpoint;
  const second = openCheckpoint((await calendarCheckpoint(ns.pool, size2))?.note ?? '', [key]).checkpoint;
  const proof = await calendarConsistencyProof(ns.pool, size1, size2);
  verifyConsistency(hasher, size1, size2, proof, first.root, second.root);
}

describe('calendar processes (dist/main.js)', () => {
  it('restarts mid-round after SIGKILL with no gap, no duplicate, and a consistent tree', async () => {
    const ns = await namespace();
    const seals = sealPublisher(ns);
    const first = start(ns, 'cal-restart');
    await up(first);
    await sizeAtLeast(ns, 4);
    // Kill in the middle of a round interval.
    const offset = Date.now() % INTERVAL;
    await new Promise((resolve) => setTimeout(resolve, (INTERVAL + INTERVAL / 2 - offset) % INTERVAL));
    await first.kill('SIGKILL');
    const before = await calendarSizeOf(ns.pool);

    const second = start(ns, 'cal-restart');
    await up(second);
    await sizeAtLeast(ns, before + 4);
    await seals.stop();
    const lastSeal = (await ns.jsm.streams.info(ns.streams.seals)).state.last_seq;
    await eventually('every seal anchored', async () => {
      const rounds = await storedRounds(ns.pool);
      return (rounds.at(-1)?.sealsEnd ?? 0) > lastSeal ? true : undefined;
    });
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    const rounds = await expectGaplessLog(ns);
    const { rows } = await ns.pool.query(
      `SELECT shard, seal_number FROM ${SCHEMA}.round_seals ORDER BY k, position`,
    );
    const anchored = rows.map((row) => `${row.shard}/${row.seal_number}`);
    expect([...anchored].sort()).toEqual([...seals.published].sort()); // each seal once, none lost
    await expectConsistent(ns, before, rounds.length);
    // <prefix>.rounds holds every round once, in order (the outbox drained on SIGTERM).
    const info = await ns.jsm.streams.info(ns.streams.rounds);
    expect(info.state.messages).toBe(rounds.length);
  });

  it('never lets two processes append at once; the second takes over when the first is killed', async () => {
    const ns = await namespace();
    const a = start(ns, 'cal-a');
    const b = start(ns, 'cal-b');
    await Promise.all([up(a), up(b)]);
    await sizeAtLeast(ns, 6);
    const early = await storedRounds(ns.pool);
    const leader = early[0]?.writer;
    expect(new Set(early.map((r) => r.writer))).toEqual(new Set([leader]));

    const [killed, survivor] = leader === 'cal-a' ? [a, b] : [b, a];
    await killed.kill('SIGKILL');
    const takeover = early.length;
    await eventually('the other process to append', async () => {
      const rounds = await storedRounds(ns.pool);
      return rounds.filter((r) => r.writer !== leader).length >= 3 ? true : undefined;
    });
    await survivor.kill('SIGTERM');

    const rounds = await expectGaplessLog(ns);
    const writers = rounds.map((r) => r.writer);
    // One writer, then the other: the log switches hands once, never interleaves.
    const switchAt = writers.findIndex((w) => w !== leader);
    expect(switchAt).toBeGreaterThanOrEqual(takeover);
    expect(writers.slice(switchAt).every((w) => w !== leader)).toBe(true);
    // One round per interval at most: two writers appending would double the rate.
    const spanMs = ((rounds.at(-1)?.closedAt ?? 0) - (rounds[0]?.closedAt ?? 0)) / 1000;
    expect(rounds.length).toBeLessThanOrEqual(Math.floor(spanMs / INTERVAL) + 2);
    expect(survivor.lines().some((l) => l.msg === 'took over the writer lease')).toBe(true);
    await expectConsistent(ns, 1, rounds.length);
  });
});
