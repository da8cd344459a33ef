// Live resharding under load: 4 → 16 → 8 shards at a fixed event rate (half load by default),
// through ingest's ShardAdminService as an operator would. Prints, per phase, events acked and the
// ingest→anchored latency (from submitting a request to the arrival of the RoundAnchored message
// covering its event) p50/p99, and over the whole run the events lost (acked but in no anchored
// seal) and duplicated (stored or sealed more than once).
//   node bench/dist/reshard-bench.js [--rate EVENTS_PER_S] [--phase SECONDS] [--aggregators N]
// Run it under `flock /tmp/msi-heavy.lock` on a shared machine.
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, Metadata } from '@grpc/grpc-js';
import { createClient, type EventInput, Events } from '@msi/client';
import { decodeEvent, decodeSeal, formatUuid, imprintOf } from '@msi/core';
import { connectNats, readSubject, streamNamesFor, subjectsFor } from '@msi/nats';
import { ingestV1ShardAdmin, streamV1 } from '@msi/proto';
import { startPipeline } from '@msi/stack';
import {
  createFreshDatabase,
  deleteNatsNamespace,
  freePort,
  repositoryRoot,
  startTestServers,
  uniquePrefix,
} from '@msi/testkit';
import { jetstream } from '@nats-io/jetstream';

const arg = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const RATE = arg('--rate', 6000);
const PHASE_S = arg('--phase', 15);
const AGGREGATORS = arg('--aggregators', 2);
const BATCH = 200;
const ROUND_MS = 1000;
const EMITTER = 'bench-emitter';
const OPERATOR = 'bench-operator';
const bearer = (key: string) => {
  const m = new Metadata();
  m.set('authorization', `Bearer ${key}`);
  return m;
};

interface Sent {
  readonly submittedAt: number;
  readonly phase: string;
}

let counter = 0;
function event(): EventInput {
  counter += 1;
  return Events.store({
    data: imprintOf('sha256', new TextEncoder().encode(`bench-${counter}`)),
    actor: 'loadgen',
    destination: { system: 's3', region: 'eu-west-1', host: 'bench' },
  });
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

async function main(): Promise<void> {
  console.log(
    `MSI resharding benchmark — Node ${process.versions.node}, ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}`,
  );
  console.log(
    `${RATE} events/s in batches of ${BATCH}, ${AGGREGATORS} aggregators, ${ROUND_MS} ms rounds, ${PHASE_S} s per phase`,
  );
  const servers = await startTestServers();
  const prefix = uniquePrefix();
  const database = await createFreshDatabase(servers.databaseUrl, 'bench');
  const workDir = await mkdtemp(join(tmpdir(), 'msi-reshard-bench-'));
  const nc = await connectNats({ servers: servers.natsUrl, name: 'msi-reshard-bench' });
  const roundArrivals = new Map<number, number>();
  let roundsSeen = 0;
  const subscription = nc.subscribe(subjectsFor(prefix).rounds);
  void (async () => {
    for await (const _ of subscription) roundArrivals.set(roundsSeen++, Date.now());
  })();
  const pipeline = await startPipeline({
    root: repositoryRoot(),
    workDir,
    natsUrl: servers.natsUrl,
    databaseUrl: database.url,
    prefix,
    shards: 4,
    roundIntervalMs: ROUND_MS,
    aggregators: AGGREGATORS,
    ingestPort: await freePort(),
    apiKeys: [
      { key: EMITTER, tenant: 'bench', principal: 'loadgen', roles: ['emitter'] },
      { key: OPERATOR, tenant: 'ops', principal: 'bench-ops', roles: ['operator'] },
    ],
    logLevel: 'warn',
    extraEnv: { ingest: { MSI_INGEST_MAX_IN_FLIGHT: '200000' } },
    onLine: ({ name, line }) => {
      if (line.includes('"level":"error"')) console.log(`  [${name}] ${line.slice(0, 300)}`);
    },
  });
  const sent = new Map<string, Sent>();
  let failed = 0;
  try {
    await pipeline.waitUntilServing(60_000);
    // the load's emitter: @msi/client (batches of BATCH, retried with the same ids on failure)
    const ingest = createClient({
      ingest: pipeline.ingestAddress,
      apiKey: EMITTER,
      insecure: true,
      batching: { maxEvents: BATCH },
      retry: { giveUpAfterMs: 20_000 },
    });
    const admin = new ingestV1ShardAdmin.ShardAdminServiceClient(
      pipeline.ingestAddress,
      credentials.createInsecure(),
    );
    const setShards = (count: number) =>
      new Promise<void>((resolve, reject) =>
        admin.setShardCount({ count, expectedVersion: 0n }, bearer(OPERATOR), (e) =>
          e ? reject(e) : resolve(),
        ),
      );
    let phase = '4 shards';
    let stop = false;
    const inflight = new Set<Promise<void>>();
    const load = (async () => {
      const start = Date.now();
      let batches = 0;
      while (!stop) {
        const due = start + (batches * BATCH * 1000) / RATE;
        if (Date.now() < due) await new Promise((r) => setTimeout(r, due - Date.now()));
        batches += 1;
        const events = Array.from({ length: BATCH }, event);
        const submittedAt = Date.now();
        const at = phase;
        const call = Promise.allSettled(events.map((e) => ingest.emit(e))).then((outcomes) => {
          for (const outcome of outcomes) {
            if (outcome.status === 'fulfilled')
              sent.set(formatUuid(outcome.value.eventId), { submittedAt, phase: at });
            else failed += 1;
          }
        });
        inflight.add(call);
        void call.then(() => inflight.delete(call));
      }
    })();
    const wait = (s: number) => new Promise((r) => setTimeout(r, s * 1000));
    await wait(PHASE_S);
    phase = '4 → 16 (change)';
    await setShards(16);
    await wait(ROUND_MS / 500);
    phase = '16 shards';
    await wait(PHASE_S);
    phase = '16 → 8 (change)';
    await setShards(8);
    await wait(ROUND_MS / 500);
    phase = '8 shards';
    await wait(PHASE_S);
    stop = true;
    await load;
    await Promise.all(inflight);
    await ingest.close();
    admin.close();
    // Let the last rounds close, then read what was stored, sealed and anchored.
    await wait(5 + ROUND_MS / 1000);
    const js = jetstream(nc);
    const names = streamNamesFor(prefix);
    const stored = new Map<string, { shard: number; seq: number }[]>();
    for (const m of await readSubject(js, names.events, subjectsFor(prefix).allEvents)) {
      const batch = streamV1.EventBatch.decode(m.data);
      for (const bytes of batch.events) {
        const id = formatUuid(decodeEvent(bytes).eventId);
        const copies = stored.get(id);
        if (copies === undefined) stored.set(id, [{ shard: batch.shard, seq: m.seq }]);
        else copies.push({ shard: batch.shard, seq: m.seq });
      }
    }
    const rounds = await readSubject(js, names.rounds, subjectsFor(prefix).rounds);
    const sealsOf = new Map<number, { start: number; end: number; round: number }[]>();
    rounds.forEach((message, k) => {
      for (const bytes of streamV1.RoundAnchored.decode(message.data).seals) {
        const seal = decodeSeal(bytes);
        const list = sealsOf.get(seal.shard) ?? [];
        list.push({ start: seal.streamStart, end: seal.streamEnd, round: k });
        sealsOf.set(seal.shard, list);
      }
    });
    const byPhase = new Map<string, number[]>();
    let lost = 0;
    let duplicated = 0;
    for (const [id, s] of sent) {
      const copies = stored.get(id) ?? [];
      if (copies.length > 1) duplicated += 1;
      const at = copies[0];
      const seals =
        at === undefined
          ? []
          : (sealsOf.get(at.shard) ?? []).filter((r) => r.start <= at.seq && at.seq < r.end);
      if (seals.length > 1) duplicated += 1;
      const arrival = seals[0] && roundArrivals.get(seals[0].round);
      if (arrival === undefined) {
        lost += 1;
        continue;
      }
      const values = byPhase.get(s.phase) ?? [];
      values.push(arrival - s.submittedAt);
      byPhase.set(s.phase, values);
    }
    console.log('phase              events acked   anchored p50 ms   anchored p99 ms');
    for (const [name, values] of byPhase) {
      console.log(
        `${name.padEnd(18)} ${String(values.length).padStart(12)}   ${String(percentile(values, 50)).padStart(15)}   ${String(percentile(values, 99)).padStart(15)}`,
      );
    }
    console.log(
      `acked ${sent.size}, failed acks ${failed} (retryable, not resent here), lost ${lost}, duplicated ${duplicated}`,
    );
  } finally {
    subscription.unsubscribe();
    await pipeline.stop();
    await deleteNatsNamespace(servers.natsUrl, prefix).catch(() => undefined);
    await nc.close();
    await database.drop().catch(() => undefined);
    await rm(workDir, { recursive: true, force: true });
    await servers.stop();
  }
}

await main();
