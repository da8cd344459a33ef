import { parsePublication } from '@msi/core';
import { createLogger } from '@msi/service-kit';
import { eventually } from '@msi/testkit';
import type { Subscription } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calendarCheckpoint } from './calendar-queries.js';
import {
  calendarSizeOf,
  type Namespace,
  openNamespace,
  processEnv,
  spawnCalendar,
  startInProcess,
} from './integration.test-helper.js';
import { type PublicationOutcome, type RunningPublisher, startPublisher } from './publication-publisher.js';
import { calendarPublications, latestPublication } from './publication-store.js';
import { SCHEMA } from './schema.js';

const ROUND_MS = 200;
const PUBLICATION_MS = 1000;
let ns: Namespace;
let stopCalendar: () => Promise<void> = async () => {};
const publishers: RunningPublisher[] = [];
let subscription: Subscription;
const received: { text: string; msgId: string | undefined }[] = [];
const outcomes = { holder: [] as PublicationOutcome[], standby: [] as PublicationOutcome[] };

beforeAll(async () => {
  ns = await openNamespace();
  subscription = ns.nc.subscribe(ns.subjects.publications, {
    callback: (_error, msg) => {
      received.push({ text: msg.string(), msgId: msg.headers?.get('Nats-Msg-Id') });
    },
  });
  await ns.nc.flush();
  const started = await startInProcess(ns, { intervalMs: ROUND_MS, instanceId: 'publications-a' });
  stopCalendar = started.stop;
  await eventually('the first round', async () => ((await calendarSizeOf(ns.pool)) > 0 ? true : undefined));
  const log = createLogger({ service: 'calendar', level: 'warn', write: () => {} });
  const common = {
    pool: ns.pool,
    js: ns.js,
    subjects: ns.subjects,
    intervalMs: PUBLICATION_MS,
    publishTimeoutMs: 2000,
    nowMs: Date.now,
    log,
  };
  publishers.push(
    startPublisher({
      ...common,
      instanceId: 'publications-a',
      onPublication: (o) => outcomes.holder.push(o),
    }),
    // Not the lease holder (a standby calendar process): it never publishes.
    startPublisher({
      ...common,
      instanceId: 'publications-b',
      onPublication: (o) => outcomes.standby.push(o),
    }),
  );
  await eventually(
    'three publications stored and received',
    async () => {
      const stored = await calendarPublications(ns.pool);
      return stored.length >= 3 && received.length >= 3 ? true : undefined;
    },
    { timeoutMs: 20_000 },
  );
  for (const publisher of publishers) await publisher.stop();
}, 40_000);

afterAll(async () => {
  for (const publisher of publishers) await publisher.stop();
  await stopCalendar();
  subscription?.unsubscribe();
  await ns?.cleanup();
});

describe('publications', () => {
  it('stores one publication per interval, each naming a stored checkpoint', async () => {
    const stored = await calendarPublications(ns.pool);
    expect(stored.length).toBeGreaterThanOrEqual(3);
    let previous: { time: number; size: number } | undefined;
    for (const publication of stored) {
      const parsed = parsePublication(publication.text);
      expect(parsed.time).toBe(publication.time);
      const checkpoint = await calendarCheckpoint(ns.pool, publication.size);
      expect(checkpoint).toBeDefined();
      expect(parsed.checkpoint.origin).toBe('calendar.test/log');
      expect(parsed.checkpoint.size).toBe(checkpoint?.size);
      expect(Buffer.from(parsed.checkpoint.root).equals(Buffer.from(checkpoint?.root ?? []))).toBe(true);
      expect(parsed.note).toBe(checkpoint?.note);
      if (previous !== undefined) {
        expect(publication.time).toBeGreaterThan(previous.time);
        expect(publication.size).toBeGreaterThanOrEqual(previous.size);
      }
      previous = publication;
    }
    expect(await latestPublication(ns.pool)).toEqual(stored.at(-1));
    // One publication per boundary: no two in the same interval.
    const slots = new Set(stored.map((p) => Math.floor((p.time * 1000) / PUBLICATION_MS)));
    expect(slots.size).toBe(stored.length);
  });

  it('publishes each stored publication on <prefix>.publications with msgID publication-<time>', async () => {
    const stored = await calendarPublications(ns.pool);
    await eventually('every stored publication received', async () =>
      received.length >= stored.length ? true : undefined,
    );
    expect(received.map((m) => m.text)).toEqual(stored.map((p) => p.text));
    expect(received.map((m) => m.msgId)).toEqual(stored.map((p) => `publication-${p.time}`));
    const info = await ns.jsm.streams.info(ns.streams.publications);
    expect(info.state.messages).toBe(stored.length);
  });

  it('publishes only from the lease holder', () => {
    expect(outcomes.standby.length).toBeGreaterThanOrEqual(3);
    expect(outcomes.standby.every((o) => o.kind === 'standby')).toBe(true);
    expect(outcomes.holder.filter((o) => o.kind === 'published' && o.sent).length).toBeGreaterThanOrEqual(3);
  });

  it('refuses UPDATE, DELETE and TRUNCATE of publications, even for the owner', async () => {
    for (const sql of [
      `UPDATE ${SCHEMA}.publications SET text = text`,
      `DELETE FROM ${SCHEMA}.publications`,
      `TRUNCATE ${SCHEMA}.publications`,
    ]) {
      await expect(ns.pool.query(sql)).rejects.toMatchObject({ code: '23000' });
    }
    expect((await calendarPublications(ns.pool)).length).toBeGreaterThanOrEqual(3);
  });
});

describe('a calendar process', () => {
  it('publishes at MSI_CALENDAR_PUBLICATION_INTERVAL_MS', async () => {
    const other = await openNamespace();
    const calendar = spawnCalendar({
      ...processEnv(other, { intervalMs: ROUND_MS, instanceId: 'publications-process', leaseMs: 1200 }),
      MSI_CALENDAR_PUBLICATION_INTERVAL_MS: String(PUBLICATION_MS),
    });
    try {
      const stored = await eventually(
        'a publication from the process',
        async () => (await latestPublication(other.pool)) ?? undefined,
        { timeoutMs: 15_000 },
      );
      const parsed = parsePublication(stored.text);
      expect(parsed.checkpoint.size).toBe(stored.size);
      expect(parsed.note).toBe((await calendarCheckpoint(other.pool, stored.size))?.note);
      await eventually('the publication on the stream', async () => {
        const info = await other.jsm.streams.info(other.streams.publications);
        return info.state.messages > 0 ? true : undefined;
      });
    } finally {
      await calendar.kill('SIGTERM');
      await other.cleanup();
    }
  }, 30_000);
});
