import { join } from 'node:path';
import { credentials, type ServiceError } from '@grpc/grpc-js';
import { createClient, type EmittedIndividual, Events, hashBytes } from '@msi/client';
import {
  bytesEqual,
  decodeRound,
  decodeSeal,
  formatUuid,
  parseVerifierKey,
  receiptToJson,
  verifyReceipt,
} from '@msi/core';
import { nodeEd25519, nodeHasher } from '@msi/crypto-node';
import { bucketNamesFor, readSubject, streamNamesFor, subjectsFor } from '@msi/nats';
import { streamV1, streamV1ShardMap, verifierV1 } from '@msi/proto';
import { ShardMapStore } from '@msi/shard-map';
import { freePort, SupervisedProcess } from '@msi/stack';
import { eventually, repositoryRoot, useWorld } from '@msi/testkit';
import { jetstream } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { receiptFromStreams } from './anchoring-oracle.js';
import { runMsi } from './run-msi.js';

const EMITTER = 'test-key-acme-emitter';
const OPERATOR = 'test-key-ops';
const OTHER_OPERATOR = 'test-key-ops-2';
const crypto = { hasher: nodeHasher(), ed25519: nodeEd25519() };
// Short windows so that draining shards retire within the test: a claim window of 3 s, publish
// timeout 1 s, report TTL 1.5 s → the staleness must exceed 5.5 s.
const shardMapEnv = {
  MSI_SHARD_MAP_POLL_MS: '200',
  MSI_SHARD_MAP_REPORT_TTL_MS: '1500',
  MSI_SHARD_MAP_MAX_STALENESS_MS: '6000',
  MSI_INGEST_CLAIM_WINDOW_MS: '3000',
  MSI_INGEST_PUBLISH_TIMEOUT_MS: '1000',
};
const world = useWorld({
  label: 'reshard',
  nats: true,
  pipeline: {
    shards: 4,
    aggregators: 2,
    // The auditors' and operators' views: GetRound's map versions, the event-on-retired-shard alert.
    verifier: true,
    alerter: { policyFile: join(repositoryRoot(), 'services', 'alerter', 'policies', 'default.yaml') },
    apiKeys: [
      { key: EMITTER, tenant: 'acme', principal: 'etl-gateway', roles: ['emitter'] },
      { key: OPERATOR, tenant: 'ops', principal: 'alice-ops', roles: ['operator'] },
      { key: OTHER_OPERATOR, tenant: 'ops', principal: 'bob-ops', roles: ['operator'] },
    ],
    extraEnv: {
      ingest: shardMapEnv,
      aggregator: { MSI_SHARD_MAP_POLL_MS: '200', MSI_AGGREGATOR_LEASE_TTL_MS: '1500' },
    },
  },
});

let counter = 0;
function storeEvent() {
  counter += 1;
  return Events.store({
    data: hashBytes(`object-${counter}`),
    actor: 'alice',
    destination: { system: 's3', region: 'eu-west-1', host: 'bucket-a' },
  });
}

/** A line of `msi alerts --json` (the fields this test reads). */
interface AlertJson {
  readonly rule: string;
  readonly severity: string;
  readonly category: string;
  readonly details: Readonly<Record<string, string>>;
}

interface Acked {
  readonly event: { readonly eventId: Uint8Array };
  readonly ack: EmittedIndividual;
}

/**
 * Emits 20 events at a time until `stop`, keeping every durable ack: the SDK retries what ingest
 * refused for now (e.g. UNAVAILABLE while it loads a newer map) with the same ids, and gives up
 * (failing the test) on what is still refused 60 s later.
 */
async function load(address: string, stop: { done: boolean }, acked: Acked[]): Promise<void> {
  const client = createClient({
    ingest: address,
    apiKey: EMITTER,
    insecure: true,
    retry: { giveUpAfterMs: 60_000 },
  });
  try {
    while (!stop.done) {
      const acks = await Promise.all(Array.from({ length: 20 }, () => client.emit(storeEvent())));
      for (const ack of acks)
        if (ack.mode === 'individual') acked.push({ event: { eventId: ack.eventId }, ack });
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await client.close();
  }
}

function msiEnv(key: string): Record<string, string> {
  return { MSI_INGEST_ADDRESS: world.pipeline.ingestAddress, MSI_API_KEY: key };
}

async function mapVersion(): Promise<number> {
  const shown = await runMsi(['shards', '--insecure', '--json'], msiEnv(OPERATOR));
  expect(shown.status, shown.stderr).toBe(0);
  return (JSON.parse(shown.stdout) as { version: number }).version;
}

/** Every acked event is on its ack's shard exactly once, and its receipt verifies offline. */
async function expectAllAnchored(acked: readonly Acked[]): Promise<void> {
  const js = jetstream(world.nc);
  const names = streamNamesFor(world.prefix);
  const copies = new Map<string, number>();
  for (const m of await readSubject(js, names.events, subjectsFor(world.prefix).allEvents)) {
    for (const bytes of streamV1.EventBatch.decode(m.data).events) {
      // The event id is at a fixed place in canonical event v1: count by the whole bytes instead.
      const key = Buffer.from(bytes).toString('base64');
      copies.set(key, (copies.get(key) ?? 0) + 1);
    }
  }
  expect([...copies.values()].every((n) => n === 1)).toBe(true);
  const trust = { logKeys: [parseVerifierKey(world.pipeline.verifierKey)] };
  const lastPerShard = new Map<number, Acked>();
  for (const a of acked) lastPerShard.set(a.ack.shard, a);
  const oracle = { js, prefix: world.prefix, hasher: crypto.hasher };
  for (const { event, ack } of lastPerShard.values()) {
    await eventually(
      `anchoring of ${formatUuid(event.eventId)}, the last acked on shard ${ack.shard}`,
      () => receiptFromStreams(oracle, ack.shard, event.eventId),
      { timeoutMs: 30_000, detail: () => world.logTail() },
    );
  }
  // Then every acked event from one copy of the streams (one read per subject), a fresh read for any
  // that was not anchored yet when the copy was taken.
  const cached = { ...oracle, cache: new Map() };
  for (const { event, ack } of acked) {
    const receipt =
      (await receiptFromStreams(cached, ack.shard, event.eventId)) ??
      (await eventually(
        `anchoring of ${formatUuid(event.eventId)} on shard ${ack.shard}`,
        () => receiptFromStreams(oracle, ack.shard, event.eventId),
        { timeoutMs: 30_000, detail: () => world.logTail() },
      ));
    const proven = verifyReceipt(receiptToJson(receipt), trust, crypto);
    expect(bytesEqual(proven.eventLeafHash, new Uint8Array(ack.leafHash))).toBe(true);
    expect(proven.seal.shard).toBe(ack.shard);
  }
}

describe('resharding live (real processes)', () => {
  it('two operators change the map at once: one wins by compare-and-set, the other is told which version won', async () => {
    const version = await mapVersion();
    const [a, b] = await Promise.all([
      runMsi(['shards', 'set', '5', '--expect-version', String(version), '--insecure'], msiEnv(OPERATOR)),
      runMsi(
        ['shards', 'set', '6', '--expect-version', String(version), '--insecure'],
        msiEnv(OTHER_OPERATOR),
      ),
    ]);
    const statuses = [a.status, b.status].sort();
    expect(statuses).toEqual([0, 2]);
    const loser = a.status === 0 ? b : a;
    expect(loser.stderr).toMatch(
      new RegExp(
        `version ${version + 1}, not ${version}|another change to the shard map won while version ${version}`,
      ),
    );
    const after = await runMsi(['shards', '--insecure'], msiEnv(OPERATOR));
    expect(after.stdout).toMatch(new RegExp(`shard map version ${version + 1}: [56] active shards`));
    // An emitter may not change the map.
    const denied = await runMsi(['shards', 'set', '2', '--insecure'], msiEnv(EMITTER));
    expect(denied.status).toBe(2);
    expect(denied.stderr).toMatch(/needs the operator role/);
  });

  it('reshards up and down under load, with an aggregator SIGKILLed during the change: every acked event is anchored once and its receipt verifies', async () => {
    const acked: Acked[] = [];
    const stop = { done: false };
    const loading = load(world.pipeline.ingestAddress, stop, acked);
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    await pause(1500);
    const up = await runMsi(['shards', 'set', '8', '--insecure'], msiEnv(OPERATOR));
    expect(up.status, up.stderr).toBe(0);
    await pause(300);
    world.pipeline.process('aggregator-1').signal('SIGKILL');
    await pause(2000);
    const down = await runMsi(['shards', 'set', '3', '--insecure'], msiEnv(OPERATOR));
    expect(down.status, down.stderr).toBe(0);
    expect(down.stdout).toMatch(/active shards/);
    await pause(1500);
    stop.done = true;
    await loading;
    expect(acked.length).toBeGreaterThan(100);
    const started = Date.now();
    // Events went to the shards added by the first change.
    expect(acked.some(({ ack }) => ack.shard >= 4)).toBe(true);
    await expectAllAnchored(acked);
    console.log(`${acked.length} acked events anchored and verified in ${Date.now() - started} ms`);
    // Seals record the map version their aggregator held.
    const js = jetstream(world.nc);
    const seals = await readSubject(
      js,
      streamNamesFor(world.prefix).seals,
      subjectsFor(world.prefix).allSeals,
    );
    const versions = new Set(seals.map((m) => Number(streamV1.ShardSealed.decode(m.data).shardMapVersion)));
    expect(Math.max(...versions)).toBeGreaterThan(1);
    // The shards above 3 drain, then retire once the live ingest reported the new version.
    await eventually(
      'draining shards retired',
      async () => {
        const shown = await runMsi(['shards', '--insecure', '--json'], msiEnv(OPERATOR));
        const map = JSON.parse(shown.stdout) as { shards: { shard: number; state: string }[] };
        const above = map.shards.filter((s) => s.shard >= 3);
        return above.length > 0 && above.every((s) => s.state === 'retired') ? true : undefined;
      },
      { timeoutMs: 30_000, detail: () => world.logTail() },
    );
  }, 240_000);

  it('an ingest replica that missed the change: its events are still sealed, and those found on a retired shard raise an integrity alert', async () => {
    const js = jetstream(world.nc);
    const store = await ShardMapStore.open(js, bucketNamesFor(world.prefix).shardMap, 1);
    const before = await store.read();
    if (before === undefined) throw new Error('no shard map');
    // A replica that reads the map once a minute and whose report lasts ten: it routes by the map in
    // force when it started while the others move on.
    const port = await freePort();
    const replica = new SupervisedProcess({
      name: 'stale-ingest',
      command: process.execPath,
      args: [join(repositoryRoot(), 'services', 'ingest', 'dist', 'main.js')],
      cwd: repositoryRoot(),
      env: {
        MSI_NATS_URL: world.natsUrl,
        MSI_PREFIX: world.prefix,
        MSI_SHARDS: '4',
        MSI_ROUND_INTERVAL_MS: '500',
        MSI_INGEST_LISTEN: `127.0.0.1:${port}`,
        MSI_INGEST_INSECURE: 'true',
        MSI_INGEST_CREDENTIALS_FILE: join(world.workDir, `ingest-credentials-${world.prefix}.json`),
        MSI_INGEST_METRICS_PORT: '0',
        MSI_SHARD_MAP_POLL_MS: '120000',
        MSI_SHARD_MAP_REPORT_TTL_MS: '600000',
        MSI_SHARD_MAP_MAX_STALENESS_MS: '700000',
      },
      onLine: (line) => world.logs.push(`stale-ingest | ${line.line}`),
    });
    replica.start();
    world.defer(() => replica.stop());
    const address = `127.0.0.1:${port}`;
    const grow = await runMsi(['shards', 'set', '6', '--insecure'], msiEnv(OPERATOR));
    expect(grow.status, grow.stderr).toBe(0);
    // The replica started on the map before this change (or just after it): send events until one
    // lands on a shard the map no longer routes to.
    await eventually(
      'the replica serving',
      async () => {
        const client = createClient({
          ingest: address,
          apiKey: EMITTER,
          insecure: true,
          deadlineMs: 2000,
          retry: { giveUpAfterMs: 2000 },
        });
        try {
          return (await client.emit(storeEvent())).mode === 'individual' ? true : undefined;
        } catch {
          return undefined;
        } finally {
          await client.close().catch(() => undefined);
        }
      },
      { timeoutMs: 30_000, detail: () => world.logTail(60) },
    );
    const shrink = await runMsi(['shards', 'set', '2', '--insecure'], msiEnv(OPERATOR));
    expect(shrink.status, shrink.stderr).toBe(0);
    // Its report says it routes by an older version: while it is live, shards 2… stay draining.
    const acked: Acked[] = [];
    const stop = { done: false };
    const loading = load(address, stop, acked);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    stop.done = true;
    await loading;
    expect(acked.some(({ ack }) => ack.shard >= 2)).toBe(true);
    const draining = await store.read();
    expect(draining?.map.shards.slice(2, 6).every((s) => s.state === 'draining')).toBe(true);
    await expectAllAnchored(acked);

    // Its report vanishes (as if it had lost the bucket for longer than its TTL): the shards retire,
    // and what it still publishes there is sealed and reported.
    const reports = await store.reports();
    const stale = reports.filter((r) => r.mapVersion < (draining?.map.version ?? 0));
    expect(stale.length).toBe(1);
    for (const r of stale) await store.removeReport(r.instance);
    await eventually(
      'shards 2… retired',
      async () => {
        const map = (await store.read())?.map;
        return map?.shards.slice(2, 6).every((s) => s.state === 'retired') ? true : undefined;
      },
      { timeoutMs: 30_000, detail: () => world.logTail() },
    );
    const late: Acked[] = [];
    const lateStop = { done: false };
    const lateLoading = load(address, lateStop, late);
    await new Promise((resolve) => setTimeout(resolve, 800));
    lateStop.done = true;
    await lateLoading;
    expect(late.some(({ ack }) => ack.shard >= 2)).toBe(true);
    await expectAllAnchored(late);
    const alerts = await eventually('an integrity report of events on a retired shard', async () => {
      const found = await readSubject(
        js,
        streamNamesFor(world.prefix).integrity,
        subjectsFor(world.prefix).integrity('aggregator'),
      );
      return found.length > 0 ? found : undefined;
    });
    const report = streamV1ShardMap.EventOnRetiredShard.decode(alerts[0]?.data ?? new Uint8Array());
    expect(report.shard).toBeGreaterThanOrEqual(2);
    expect(Number(report.lastStoredAtMs)).toBeGreaterThanOrEqual(Number(report.retiredAtMs));
    // The alerter raises it: a high integrity alert naming the retired shard, as `msi alerts` shows it.
    const reportedShards = new Set(
      alerts.map((m) => String(streamV1ShardMap.EventOnRetiredShard.decode(m.data).shard)),
    );
    const raised = await eventually(
      'the event-on-retired-shard alert',
      async () => {
        const listed = await runMsi(['alerts', '--rule', 'event-on-retired-shard', '--json', '--insecure'], {
          MSI_ALERTER_ADDRESS: world.pipeline.alerterAddress ?? '',
          MSI_API_KEY: OPERATOR,
        });
        if (listed.status !== 0) return undefined;
        const lines = listed.stdout.split('\n').filter((line) => line.trim() !== '');
        return lines.length > 0 ? lines.map((line) => JSON.parse(line) as AlertJson) : undefined;
      },
      { timeoutMs: 30_000, detail: () => world.logTail() },
    );
    for (const alert of raised) {
      expect(alert).toMatchObject({
        rule: 'event-on-retired-shard',
        severity: 'high',
        category: 'integrity',
      });
      expect(reportedShards.has(alert.details.shard ?? '')).toBe(true);
      expect(Number(alert.details.shard)).toBeGreaterThanOrEqual(2);
    }
  }, 240_000);

  it('after every change: the verifier found nothing wrong, GetRound names the map version that sealed each seal, the calendar is gapless and no event is sealed twice', async () => {
    const js = jetstream(world.nc);
    const names = streamNamesFor(world.prefix);
    const subjects = subjectsFor(world.prefix);
    const rounds = (await readSubject(js, names.rounds, subjects.rounds)).map(
      (m) => decodeRound(streamV1.RoundAnchored.decode(m.data).round).round,
    );
    // Gapless: rounds 0 … n − 1, each once, in order.
    expect(rounds).toEqual(rounds.map((_, i) => i));
    // Per shard, seal numbers 0 … m − 1 each once, over stream ranges that never overlap.
    const sealed = new Map<string, number>();
    const perShard = new Map<number, { sealNumber: number; start: number; end: number }[]>();
    for (const m of await readSubject(js, names.seals, subjects.allSeals)) {
      const message = streamV1.ShardSealed.decode(m.data);
      const seal = decodeSeal(message.seal);
      sealed.set(`${seal.shard}/${seal.sealNumber}`, Number(message.shardMapVersion));
      const list = perShard.get(seal.shard) ?? [];
      list.push({ sealNumber: seal.sealNumber, start: seal.streamStart, end: seal.streamEnd });
      perShard.set(seal.shard, list);
    }
    for (const [shard, seals] of perShard) {
      const sorted = [...seals].sort((a, b) => a.sealNumber - b.sealNumber);
      expect(
        sorted.map((s) => s.sealNumber),
        `seal numbers of shard ${shard}`,
      ).toEqual(sorted.map((_, i) => i));
      for (let i = 1; i < sorted.length; i++) {
        expect(sorted[i]?.start ?? 0, `seal ${i} of shard ${shard}`).toBeGreaterThanOrEqual(
          sorted[i - 1]?.end ?? 0,
        );
      }
    }

    // The verifier, which rebuilds every seal and round itself, caught up and found nothing wrong.
    const verifier = new verifierV1.VerifierServiceClient(
      world.pipeline.verifierAddress ?? '',
      credentials.createInsecure(),
    );
    world.defer(() => verifier.close());
    const getCheckpoint = () =>
      new Promise<verifierV1.GetCheckpointResponse>((resolve, reject) =>
        verifier.getCheckpoint(
          { size: 0n, cosigned: false },
          (e: ServiceError | null, r?: verifierV1.GetCheckpointResponse) =>
            e !== null || r === undefined ? reject(e) : resolve(r),
        ),
      );
    const getRound = (k: number) =>
      new Promise<verifierV1.GetRoundResponse>((resolve, reject) =>
        verifier.getRound(
          { selector: { $case: 'round', value: BigInt(k) } },
          (e: ServiceError | null, r?: verifierV1.GetRoundResponse) =>
            e !== null || r === undefined ? reject(e) : resolve(r),
        ),
      );
    await eventually(
      `the verifier at calendar size ${rounds.length}`,
      async () => {
        const cp = await getCheckpoint().catch(() => undefined);
        return cp !== undefined && Number(cp.size) >= rounds.length ? true : undefined;
      },
      { timeoutMs: 60_000, detail: () => world.logTail() },
    );
    expect(await readSubject(js, names.integrity, subjects.integrity('verifier'))).toEqual([]);
    // GetRound: beside each seal, the version its ShardSealed message carried.
    const versions = new Set<number>();
    for (const k of rounds) {
      const round = await getRound(k);
      expect(round.sealShardMapVersions).toHaveLength(round.seals.length);
      round.seals.forEach((bytes, i) => {
        const seal = decodeSeal(bytes);
        const served = Number(round.sealShardMapVersions[i]);
        expect(served, `round ${k}, seal ${seal.shard}/${seal.sealNumber}`).toBe(
          sealed.get(`${seal.shard}/${seal.sealNumber}`),
        );
        expect(served).toBeGreaterThanOrEqual(1);
        versions.add(served);
      });
    }
    // Sealed under several versions (the first change of this file came before any event, so none
    // under version 1), the newest well past the first changes.
    expect(versions.size).toBeGreaterThan(1);
    expect(Math.max(...versions)).toBeGreaterThan(3);
  }, 180_000);
});
