import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatUuid, parseCheckpointNote } from '@msi/core';
import { connectNats, readSubject, streamNamesFor, subjectsFor } from '@msi/nats';
import { alerterV1, streamV1 } from '@msi/proto';
import { type Pipeline, startPipeline } from '@msi/stack';
import {
  createFreshDatabase,
  deleteNatsNamespace,
  eventually,
  type FreshDatabase,
  freePort,
  repositoryRoot,
  testServerUrls,
  uniquePrefix,
} from '@msi/testkit';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alerterClient, dataEvent, ingestFor, item } from './alerter.test-helper.js';

const prefix = uniquePrefix();
const OPERATOR = 'ops-key';
const EMITTER = 'acme-emitter-key';
let pipeline: Pipeline;
let database: FreshDatabase;
let workDir: string;
let nc: NatsConnection;
let alerter: ReturnType<typeof alerterClient>;
let acme: ReturnType<typeof ingestFor>;
const logs: string[] = [];

beforeAll(async () => {
  const { natsUrl, databaseUrl } = testServerUrls();
  database = await createFreshDatabase(databaseUrl, 'alerter_integrity');
  workDir = await mkdtemp(join(tmpdir(), 'msi-alerter-integrity-'));
  const policyFile = join(workDir, 'policy.yaml');
  await writeFile(
    policyFile,
    await readFile(join(repositoryRoot(), 'services/alerter/policies/default.yaml')),
  );
  pipeline = await startPipeline({
    root: repositoryRoot(),
    workDir,
    natsUrl,
    databaseUrl: database.url,
    prefix,
    shards: 2,
    roundIntervalMs: 500,
    aggregators: 1,
    ingestPort: await freePort(),
    alerter: { port: await freePort(), policyFile },
    apiKeys: [
      { key: EMITTER, tenant: 'acme', principal: 'acme-gateway', roles: ['emitter'] },
      { key: OPERATOR, tenant: 'ops', principal: 'oncall', roles: ['operator'] },
    ],
    onLine: ({ name, line }) => logs.push(`${name} | ${line}`),
  });
  await pipeline.waitUntilServing(60_000);
  nc = await connectNats({ servers: natsUrl, name: 'alerter-integrity-test' });
  alerter = alerterClient(pipeline.alerterAddress ?? '');
  acme = ingestFor(pipeline.ingestAddress, EMITTER);
}, 90_000);

afterAll(async () => {
  acme?.close();
  alerter?.close();
  await pipeline?.stop();
  await nc?.close();
  await database?.drop();
  await deleteNatsNamespace(testServerUrls().natsUrl, prefix);
  if (workDir !== undefined) await rm(workDir, { recursive: true, force: true });
});

async function alertsOf(rule: string): Promise<alerterV1.Alert[]> {
  return (await alerter.list(OPERATOR, { filter: { rule } as alerterV1.AlertFilter })).alerts;
}

const firstAlert = (rule: string, timeoutMs = 30_000) =>
  eventually(
    rule,
    async () => {
      const alerts = await alertsOf(rule);
      return alerts.length > 0 ? alerts[0] : undefined;
    },
    { timeoutMs: timeoutMs },
  );

describe('a forked calendar', () => {
  it('a second real calendar with the same key writes another history: its checkpoint is a critical fork alert', async () => {
    const { natsUrl, databaseUrl } = testServerUrls();
    const forkPrefix = uniquePrefix();
    const forkDatabase = await createFreshDatabase(databaseUrl, 'alerter_fork');
    const fork = await startPipeline({
      root: repositoryRoot(),
      workDir,
      natsUrl,
      databaseUrl: forkDatabase.url,
      prefix: forkPrefix,
      shards: 1,
      roundIntervalMs: 500,
      aggregators: 0,
      ingestPort: await freePort(),
      signingKey: pipeline.signingKey,
      apiKeys: [],
      onLine: ({ name, line }) => logs.push(`fork-${name} | ${line}`),
    });
    try {
      const js = jetstream(nc);
      const forked = await eventually('rounds of the forked calendar', async () => {
        // The stream appears once the forked calendar has started.
        const rounds = await readSubject(
          js,
          streamNamesFor(forkPrefix).rounds,
          subjectsFor(forkPrefix).rounds,
        ).catch(() => []);
        return rounds.length >= 2 ? rounds : undefined;
      });
      const note = streamV1.RoundAnchored.decode(
        forked[forked.length - 1]?.data ?? new Uint8Array(),
      ).checkpoint;
      const { checkpoint } = parseCheckpointNote(note);
      // The main calendar started first: it already has a leaf at that size, with another root.
      await eventually('the main calendar past the fork size', async () => {
        const rounds = await readSubject(js, streamNamesFor(prefix).rounds, subjectsFor(prefix).rounds);
        return rounds.length >= checkpoint.size ? true : undefined;
      });
      await js.publish(
        subjectsFor(prefix).checkpoints,
        streamV1.CheckpointCosigned.encode({
          version: 1,
          size: BigInt(checkpoint.size),
          checkpoint: note,
        }).finish(),
      );
      const alert = await firstAlert('calendar-fork');
      expect(alert?.severity).toBe(alerterV1.Severity.SEVERITY_CRITICAL);
      expect(alert?.category).toBe(alerterV1.Category.CATEGORY_INTEGRITY);
      expect(alert?.details.size).toBe(String(checkpoint.size));
      // The main calendar's own checkpoints are consistent: no other integrity alert about them.
      expect(await alertsOf('checkpoint-inconsistent')).toEqual([]);
      expect(await alertsOf('checkpoint-invalid')).toEqual([]);
    } finally {
      await fork.stop();
      await forkDatabase.drop();
      await deleteNatsNamespace(natsUrl, forkPrefix);
    }
  }, 60_000);
});

describe('a stalled pipeline', () => {
  it('a stopped aggregator leaves a shard unsealed: shard-not-sealed', async () => {
    const aggregator = pipeline.process('aggregator-1');
    aggregator.signal('SIGSTOP');
    try {
      await acme.submit([dataEvent({ kind: 'STORE', data: item(prefix, 'stall-1'), actor: 'w' })]);
      const alert = await firstAlert('shard-not-sealed');
      expect(alert?.severity).toBe(alerterV1.Severity.SEVERITY_HIGH);
      expect(alert?.message).toMatch(/not sealed for/);
    } finally {
      aggregator.signal('SIGCONT');
    }
  }, 60_000);

  it('a stopped calendar: calendar-stalled and seal-not-anchored', async () => {
    const calendar = pipeline.process('calendar');
    calendar.signal('SIGSTOP');
    try {
      await acme.submit([dataEvent({ kind: 'STORE', data: item(prefix, 'stall-2'), actor: 'w' })]);
      const stalled = await firstAlert('calendar-stalled');
      expect(stalled?.severity).toBe(alerterV1.Severity.SEVERITY_CRITICAL);
      const unanchored = await firstAlert('seal-not-anchored');
      expect(unanchored?.message).toMatch(/not anchored for/);
    } finally {
      calendar.signal('SIGCONT');
    }
  }, 60_000);
});

describe('restarts', () => {
  it('an alerter killed mid-stream loses no alert and repeats none', async () => {
    const batches = 6;
    const perBatch = 5;
    const sent: string[] = [];
    const alerterProcess = pipeline.process('alerter');
    for (let b = 0; b < batches; b++) {
      const events = Array.from({ length: perBatch }, (_, i) =>
        dataEvent({
          kind: 'TRANSFER',
          data: item(prefix, `restart-${b}-${i}`),
          actor: `mover-${b}-${i}`,
          source: 's3/eu-west-1',
          destination: 's3/us-west-2',
          attrs: { classification: 'pii' },
        }),
      );
      sent.push(...events.map((e) => formatUuid(e.eventId)));
      await acme.submit(events);
      if (b === 2) {
        alerterProcess.signal('SIGKILL');
        await alerterProcess.exited();
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    alerterProcess.start();
    await pipeline.waitUntilServing(30_000);
    const alerts = await eventually('every transfer alerted', async () => {
      const a = (await alertsOf('pii-outside-allowed-regions')).filter(
        (x) => x.rule === 'pii-outside-allowed-regions',
      );
      return a.length >= sent.length ? a : undefined;
    });
    const named = alerts.flatMap((a) => a.eventIds.map((id) => formatUuid(id)));
    expect(named.sort()).toEqual([...sent].sort());
    expect(alerts.every((a) => a.occurrences === 1n)).toBe(true);
    // Published once each on the stream (the outbox republishes with the alert id as msgID).
    const js = jetstream(nc);
    const published = await eventually('alerts published', async () => {
      const messages = await readSubject(js, streamNamesFor(prefix).alerts, subjectsFor(prefix).allAlerts);
      const pii = messages
        .map((m) => alerterV1.Alert.decode(m.data))
        .filter((a) => a.rule === 'pii-outside-allowed-regions');
      return pii.length >= sent.length ? pii : undefined;
    });
    expect(published).toHaveLength(sent.length);
  }, 90_000);
});
