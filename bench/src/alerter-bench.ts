// The alerter latency benchmark: `pnpm bench:alerter [--rate N] [--seconds N] [--clients N]
// [--violations N] [--profile-alerter DIR]`.
// Starts the whole pipeline (calendar, aggregators, ingest) and the alerter with the shipped policy
// (services/alerter/policies/default.yaml) as processes against NATS and Postgres (NATS_URL /
// DATABASE_URL, else embedded servers), then submits SubmitBatch requests of 1,000 events at a fixed
// rate (default 12,000 events/s, about half the pipeline's batched capacity). Each batch carries
// `--violations` events that break pii-outside-allowed-regions (a stateless rule, judged on arrival)
// and as many that break reader-not-allowed (a fact rule, judged once the round is anchored); the
// rest is compliant traffic over items stored before the load. One WatchAlerts stream (operator key),
// opened before the load, times every alert. Prints alert latencies from submit (and, for the fact
// rule, from the round being anchored), the alerter's backlog over time, its CPU and RSS.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, credentials, Metadata } from '@grpc/grpc-js';
import { decodeRound, encodeImprint, formatUuid, imprintOf, mintUuidV7 } from '@msi/core';
import { connectNats, ensureStreams, streamNamesFor, subjectsFor } from '@msi/nats';
import { alerterV1, eventV1, ingestV1, streamV1 } from '@msi/proto';
import { type Pipeline, startPipeline } from '@msi/stack';
import {
  createFreshDatabase,
  deleteNatsNamespace,
  freePort,
  repositoryRoot,
  startTestServers,
  uniquePrefix,
} from '@msi/testkit';
import { type JetStreamManager, jetstreamManager } from '@nats-io/jetstream';
import { formatRate, percentile, runSection, type Section } from './harness.js';
import { cpuSeconds, machineCpu, rssMiB } from './process-stats.js';

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at > 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name}: a positive number, got ${value}`);
  return value;
}
const profileAt = process.argv.indexOf('--profile-alerter');
const PROFILE_DIR = profileAt > 0 ? process.argv[profileAt + 1] : undefined;
const RATE = flag('rate', 12_000);
const LOAD_SECONDS = flag('seconds', 60);
const CLIENTS = flag('clients', 4);
const VIOLATIONS = flag('violations', 1);
const DRAIN_SECONDS = flag('drain', 60);
const BATCH = 1000;
const SHARDS = 4;
const AGGREGATORS = 2;
const ROUND_MS = 1000;
const SAMPLE_MS = 5000;
const KEYS = { emitter: 'bench-emitter', operator: 'bench-operator' };
const STATELESS = 'pii-outside-allowed-regions';
const STATEFUL = 'reader-not-allowed';
/** The allowed reader of restricted items; it also reads unrestricted ones. */
const READER = 'analyst-7';

const bearer = () => {
  const m = new Metadata();
  m.set('authorization', `Bearer ${KEYS.emitter}`);
  return m;
};

// ---- events ------------------------------------------------------------------------------------

const imprint = (text: string): Buffer =>
  Buffer.from(encodeImprint(imprintOf('sha256', new TextEncoder().encode(text))));

/** Items stored before the load; every 8th one is restricted by a `readers` fact. */
const POOL = Array.from({ length: 4096 }, (_, i) => imprint(`bench-item-${i}`));
const isRestricted = (i: number) => i % 8 === 0;
const restricted = (n: number): Buffer => POOL[(n * 8) % POOL.length] ?? Buffer.alloc(0);

type Kind = keyof typeof KINDS;
const KINDS = {
  TRANSFER: eventV1.EventKind.EVENT_KIND_TRANSFER,
  PROCESS: eventV1.EventKind.EVENT_KIND_PROCESS,
  STORE: eventV1.EventKind.EVENT_KIND_STORE,
  ACCESS: eventV1.EventKind.EVENT_KIND_ACCESS,
  STATE: eventV1.EventKind.EVENT_KIND_STATE,
} as const;

function event(spec: {
  kind: Kind;
  data: Buffer;
  actor: string;
  destination?: string;
  inputs?: Buffer[];
  outputs?: Buffer[];
  attrs?: Record<string, string>;
}): eventV1.DataEvent {
  return eventV1.DataEvent.fromPartial({
    eventId: Buffer.from(mintUuidV7(Date.now(), randomBytes(16))),
    kind: KINDS[spec.kind],
    data: spec.data,
    inputs: spec.inputs ?? [],
    outputs: spec.outputs ?? [],
    actor: spec.actor,
    source: { system: 's3', region: 'eu-west-1', host: 'bucket-a' },
    ...(spec.destination === undefined
      ? {}
      : { destination: { system: 's3', region: spec.destination, host: 'bucket-b' } }),
    occurredAtUs: BigInt(Date.now() * 1000),
    attributes: Object.entries(spec.attrs ?? {}).map(([key, value]) => ({ key, value })),
  });
}

/**
 * Compliant traffic: 20 % STOREs of new items, 10 % PROCESS (a stored input, a new output), 20 %
 * pii TRANSFERs inside the EU, 50 % ACCESS by the allowed reader. No shipped rule fires on it, but
 * the alerter does all its work: arrival rules, staging, custody state and facts once anchored.
 */
function compliantEvent(batch: number, i: number): eventV1.DataEvent {
  const item = POOL[(batch * 131 + i) % POOL.length] ?? Buffer.alloc(0);
  const slot = i % 10;
  if (slot < 2) return event({ kind: 'STORE', data: imprint(`new-${batch}-${i}`), actor: 'writer' });
  if (slot === 2) {
    const output = imprint(`derived-${batch}-${i}`);
    return event({ kind: 'PROCESS', data: item, actor: 'etl', inputs: [item], outputs: [output] });
  }
  if (slot < 5) {
    return event({
      kind: 'TRANSFER',
      data: item,
      actor: 'replicator',
      destination: 'eu-central-1',
      attrs: { classification: 'pii' },
    });
  }
  return event({ kind: 'ACCESS', data: item, actor: READER });
}

/** A pii TRANSFER to us-east-1 by an actor of its own (so dedupe never folds two). */
const statelessViolation = (batch: number, j: number) =>
  event({
    kind: 'TRANSFER',
    data: POOL[(batch + j) % POOL.length] ?? Buffer.alloc(0),
    actor: `exfil-${batch}-${j}`,
    destination: 'us-east-1',
    attrs: { classification: 'pii' },
  });

/** An ACCESS of a restricted item by an actor not among its readers, of its own. */
const statefulViolation = (batch: number, j: number) =>
  event({ kind: 'ACCESS', data: restricted(batch + j), actor: `intruder-${batch}-${j}` });

interface PreparedBatch {
  readonly request: Buffer;
  readonly stateless: string[];
  readonly stateful: string[];
}

/** Encoded before the load is timed: real clients run on other machines, not on these two cores. */
function prepareBatch(batch: number): PreparedBatch {
  const events = Array.from({ length: BATCH }, (_, i) => compliantEvent(batch, i));
  const stateless: string[] = [];
  const stateful: string[] = [];
  for (let j = 0; j < VIOLATIONS; j++) {
    const a = statelessViolation(batch, j);
    const b = statefulViolation(batch, j);
    events[100 + j * 7] = a;
    events[600 + j * 7] = b;
    stateless.push(formatUuid(a.eventId));
    stateful.push(formatUuid(b.eventId));
  }
  const request = Buffer.from(ingestV1.SubmitBatchRequest.encode({ events }).finish());
  return { request, stateless, stateful };
}

// ---- measurement -------------------------------------------------------------------------------

const SUBMIT_BATCH = '/msi.ingest.v1.IngestService/SubmitBatch';

function submit(client: Client, request: Buffer): Promise<ingestV1.SubmitBatchResponse> {
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(
      SUBMIT_BATCH,
      (bytes: Buffer) => bytes,
      (bytes: Buffer) => ingestV1.SubmitBatchResponse.decode(bytes),
      request,
      bearer(),
      { deadline: Date.now() + 30_000 },
      (error, response) => (error === null && response !== undefined ? resolve(response) : reject(error)),
    ),
  );
}

/** What the bench knows of one violating event. */
interface Expected {
  readonly rule: string;
  submittedAt?: number;
  alertAt?: number;
  /** The event's received_at at ingest (the alert's first_seen_us), ms. */
  receivedAt?: number;
  round?: number;
}

/** Rounds as they reach the bench: k → the calendar's close time (µs) and the message's arrival (ms). */
const rounds = new Map<number, { closedAtUs: number; arrivedAt: number }>();
const expected = new Map<string, Expected>();
const otherAlerts = new Map<string, number>();

function onAlert(alert: alerterV1.Alert): void {
  const now = Date.now();
  for (const id of alert.eventIds.map((bytes) => formatUuid(bytes))) {
    const wanted = expected.get(id);
    if (wanted !== undefined && wanted.rule === alert.rule && wanted.alertAt === undefined) {
      wanted.alertAt = now;
      wanted.receivedAt = Number(alert.firstSeenUs) / 1000;
      if (alert.anchoredRound > 0n) wanted.round = Number(alert.anchoredRound);
      return;
    }
  }
  otherAlerts.set(alert.rule, (otherAlerts.get(alert.rule) ?? 0) + 1);
}

const ms = (value: number) => (Number.isFinite(value) ? Math.round(value) : '-');

function latencyRow(label: string, values: readonly number[]) {
  return {
    latency: label,
    count: values.length,
    'p50 ms': ms(percentile(values, 50)),
    'p99 ms': ms(percentile(values, 99)),
    'max ms': ms(values.length === 0 ? Number.NaN : Math.max(...values)),
  };
}

/** The alerter's counters from its /metrics endpoint (messages applied per stream). */
async function appliedByStream(metricsPort: number): Promise<Map<string, number>> {
  const applied = new Map<string, number>();
  try {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    for (const match of text.matchAll(
      /^msi_alerter_messages_applied_total\{[^}]*stream="(\w+)"[^}]*\} (\d+)/gm,
    )) {
      applied.set(match[1] ?? '', Number(match[2]));
    }
  } catch {
    // not up (yet): an empty map reads as nothing applied
  }
  return applied;
}

interface Backlog {
  readonly events: number;
  readonly rounds: number;
  readonly eventsStream: number;
  readonly roundsStream: number;
}

async function backlog(jsm: JetStreamManager, prefix: string, metricsPort: number): Promise<Backlog> {
  const names = streamNamesFor(prefix);
  const [applied, events, roundInfo] = await Promise.all([
    appliedByStream(metricsPort),
    jsm.streams.info(names.events),
    jsm.streams.info(names.rounds),
  ]);
  return {
    eventsStream: events.state.messages,
    roundsStream: roundInfo.state.messages,
    events: events.state.messages - (applied.get('events') ?? 0),
    rounds: roundInfo.state.messages - (applied.get('rounds') ?? 0),
  };
}

// ---- phases ------------------------------------------------------------------------------------

/** Stores the pool, declares the readers facts, then waits until a probe violation raises its alert. */
async function setUp(address: string): Promise<number> {
  const client = new Client(address, credentials.createInsecure());
  const started = Date.now();
  try {
    const stores = POOL.map((data) => event({ kind: 'STORE', data, actor: 'writer' }));
    const facts = POOL.flatMap((data, i) =>
      isRestricted(i)
        ? [
            event({
              kind: 'STATE',
              data,
              actor: 'governance',
              attrs: { 'fact.readers': `${READER},auditor` },
            }),
          ]
        : [],
    );
    const all = [...stores, ...facts];
    for (let i = 0; i < all.length; i += BATCH) {
      const request = ingestV1.SubmitBatchRequest.encode({ events: all.slice(i, i + BATCH) }).finish();
      await submit(client, Buffer.from(request));
    }
    // The facts apply in calendar order: a probe in the same round as its fact may precede it, so
    // probe again (another actor) until one is judged after the facts.
    for (let attempt = 0; Date.now() - started < 120_000; attempt++) {
      const probe = event({ kind: 'ACCESS', data: restricted(attempt), actor: `probe-${attempt}` });
      const id = formatUuid(probe.eventId);
      expected.set(id, { rule: STATEFUL });
      await submit(client, Buffer.from(ingestV1.SubmitBatchRequest.encode({ events: [probe] }).finish()));
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline && expected.get(id)?.alertAt === undefined)
        await new Promise((resolve) => setTimeout(resolve, 50));
      const seen = expected.get(id)?.alertAt !== undefined;
      expected.delete(id);
      if (seen) return (Date.now() - started) / 1000;
    }
    throw new Error('set-up: no reader-not-allowed alert for a probe within 120 s');
  } finally {
    client.close();
  }
}

/** `CLIENTS` paced SubmitBatch loops sending the prepared batches in order, RATE events/s in all. */
async function load(address: string, batches: readonly PreparedBatch[]) {
  let next = 0;
  let durable = 0;
  let failed = 0;
  const acks: number[] = [];
  const interval = (BATCH * CLIENTS * 1000) / RATE;
  const start = Date.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, c) => {
      const client = new Client(address, credentials.createInsecure(), {
        'grpc.max_send_message_length': 64 * 1024 * 1024,
      });
      let due = start + (interval * c) / CLIENTS;
      for (;;) {
        const wait = due - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        due += interval;
        const batch = batches[next++];
        if (batch === undefined) break;
        const submittedAt = Date.now();
        for (const id of [...batch.stateless, ...batch.stateful]) {
          const wanted = expected.get(id);
          if (wanted !== undefined) wanted.submittedAt = submittedAt;
        }
        try {
          const response = await submit(client, batch.request);
          acks.push(Date.now() - submittedAt);
          for (const ack of response.acks) {
            if (ack.outcome?.$case === 'durable') durable += 1;
            else failed += 1;
          }
        } catch {
          failed += BATCH;
        }
      }
      client.close();
    }),
  );
  const seconds = (Date.now() - start) / 1000;
  return { rate: durable / seconds, durable, failed, seconds, acks };
}

async function main(): Promise<void> {
  console.log(
    `MSI alerter benchmark — Node ${process.versions.node}, ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}`,
  );
  console.log(
    `${SHARDS} shards, ${AGGREGATORS} aggregators, ${ROUND_MS} ms rounds, the shipped policy; ` +
      `${formatRate(RATE)} events/s in batches of ${BATCH} from ${CLIENTS} clients for ${LOAD_SECONDS} s; ` +
      `${VIOLATIONS} ${STATELESS} + ${VIOLATIONS} ${STATEFUL} violation(s) per batch`,
  );
  const servers = await startTestServers();
  console.log(`servers: NATS from ${servers.origin.nats}, Postgres from ${servers.origin.postgres}`);
  const prefix = uniquePrefix();
  const database = await createFreshDatabase(servers.databaseUrl, 'benchalerter');
  const workDir = await mkdtemp(join(tmpdir(), 'msi-bench-alerter-'));
  const nc = await connectNats({ servers: servers.natsUrl, name: 'msi-bench-alerter' });
  const jsm = await jetstreamManager(nc);
  await ensureStreams(jsm, prefix, { replicas: 1, eventsMaxAgeMs: 3600_000, duplicateWindowMs: 5 * 60_000 });
  const subscription = nc.subscribe(subjectsFor(prefix).rounds);
  void (async () => {
    for await (const message of subscription) {
      const round = decodeRound(streamV1.RoundAnchored.decode(message.data).round);
      rounds.set(round.round, { closedAtUs: round.closedAt, arrivedAt: Date.now() });
    }
  })();
  const policyFile = join(repositoryRoot(), 'services/alerter/policies/default.yaml');
  const metricsPort = await freePort();
  let pipeline: Pipeline | undefined;
  let watch: alerterV1.AlerterServiceClient | undefined;
  try {
    pipeline = await startPipeline({
      root: repositoryRoot(),
      workDir,
      natsUrl: servers.natsUrl,
      databaseUrl: database.url,
      prefix,
      shards: SHARDS,
      roundIntervalMs: ROUND_MS,
      aggregators: AGGREGATORS,
      ingestPort: await freePort(),
      alerter: { port: await freePort(), policyFile },
      apiKeys: [
        { key: KEYS.emitter, tenant: 'bench', principal: 'loadgen', roles: ['emitter'] },
        { key: KEYS.operator, tenant: 'ops', principal: 'oncall', roles: ['operator'] },
      ],
      logLevel: 'warn',
      extraEnv: {
        ingest: { MSI_INGEST_MAX_IN_FLIGHT: '200000' },
        alerter: { MSI_ALERTER_METRICS_PORT: String(metricsPort) },
      },
      ...(PROFILE_DIR === undefined
        ? {}
        : { nodeArgs: { alerter: ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] } }),
      onLine: ({ name, line }) => {
        if (line.includes('"level":"error"')) console.log(`  [${name}] ${line.slice(0, 300)}`);
      },
    });
    await pipeline.waitUntilServing(60_000);
    const alerterPid = pipeline.process('alerter').pid;

    watch = new alerterV1.AlerterServiceClient(pipeline.alerterAddress ?? '', credentials.createInsecure());
    const operator = new Metadata();
    operator.set('authorization', `Bearer ${KEYS.operator}`);
    const stream = watch.watchAlerts(alerterV1.WatchAlertsRequest.fromPartial({ onlyNew: true }), operator);
    stream.on('data', (response: alerterV1.WatchAlertsResponse) => {
      if (response.alert !== undefined) onAlert(response.alert);
    });
    stream.on('error', () => {});

    const setUpSeconds = await setUp(pipeline.ingestAddress);
    otherAlerts.clear();
    console.log(
      `set-up: ${POOL.length} items stored, readers facts declared, probe alert after ${setUpSeconds.toFixed(1)} s`,
    );

    const count = Math.ceil((RATE * LOAD_SECONDS) / BATCH);
    const encodeStart = Date.now();
    const batches = Array.from({ length: count }, (_, b) => prepareBatch(b));
    for (const batch of batches) {
      for (const id of batch.stateless) expected.set(id, { rule: STATELESS });
      for (const id of batch.stateful) expected.set(id, { rule: STATEFUL });
    }
    console.log(`prepared ${count} requests in ${((Date.now() - encodeStart) / 1000).toFixed(1)} s`);

    const samples: Record<string, string | number>[] = [];
    const names = [...pipeline.processes.keys()];
    const cpuAtStart = new Map<string, number>();
    for (const name of names) cpuAtStart.set(name, await cpuSeconds(pipeline.process(name).pid));
    const machineAtStart = await machineCpu();
    const loadStart = Date.now();
    let lastCpu = await cpuSeconds(alerterPid);
    let lastAt = Date.now();
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
        const b = await backlog(jsm, prefix, metricsPort);
        const cpu = await cpuSeconds(alerterPid);
        const now = Date.now();
        const memory = await rssMiB(alerterPid);
        samples.push({
          's since start': Math.round((now - loadStart) / 1000),
          'events msgs': b.eventsStream,
          'events backlog': b.events,
          'rounds backlog': b.rounds,
          'alerter CPU %': Math.round(((cpu - lastCpu) / ((now - lastAt) / 1000)) * 100),
          'alerter RSS MiB': memory.rss,
        });
        lastCpu = cpu;
        lastAt = now;
      }
    })();

    const result = await load(pipeline.ingestAddress, batches);
    const loadEnd = Date.now();
    const cpuUsed = new Map<string, number>();
    for (const name of names)
      cpuUsed.set(name, (await cpuSeconds(pipeline.process(name).pid)) - (cpuAtStart.get(name) ?? 0));
    const machineAtEnd = await machineCpu();
    const machineBusy =
      (machineAtEnd.busy - machineAtStart.busy) / (machineAtEnd.total - machineAtStart.total);
    const violations = [...expected.values()];
    const drainDeadline = Date.now() + DRAIN_SECONDS * 1000;
    while (Date.now() < drainDeadline && violations.some((v) => v.alertAt === undefined))
      await new Promise((resolve) => setTimeout(resolve, 100));
    const drained = Date.now();
    sampling = false;
    await sampler;
    const finalBacklog = await backlog(jsm, prefix, metricsPort);

    await runSection(
      `Load: SubmitBatch at ${formatRate(RATE)} events/s target, ${LOAD_SECONDS} s`,
      (section: Section) => {
        section.add({
          'events/s': formatRate(result.rate),
          durable: result.durable,
          failed: result.failed,
          'ack p50 ms': ms(percentile(result.acks, 50)),
          'ack p99 ms': ms(percentile(result.acks, 99)),
        });
      },
    );
    await runSection('Alert latency (alert on WatchAlerts at the bench)', (section) => {
      const of = (rule: string) => violations.filter((v) => v.rule === rule);
      const fromSubmit = (rule: string) =>
        of(rule).flatMap((v) =>
          v.alertAt !== undefined && v.submittedAt !== undefined ? [v.alertAt - v.submittedAt] : [],
        );
      const anchoredAt = (v: Expected) => (v.round === undefined ? undefined : rounds.get(v.round));
      const fromRound = (pick: (r: { closedAtUs: number; arrivedAt: number }) => number) =>
        of(STATEFUL).flatMap((v) => {
          const round = anchoredAt(v);
          return v.alertAt !== undefined && round !== undefined ? [v.alertAt - pick(round)] : [];
        });
      const fromReceived = (rule: string) =>
        of(rule).flatMap((v) =>
          v.alertAt !== undefined && v.receivedAt !== undefined ? [v.alertAt - v.receivedAt] : [],
        );
      section.add(latencyRow(`${STATELESS}: from submit`, fromSubmit(STATELESS)));
      section.add(latencyRow(`${STATELESS}: from received_at at ingest`, fromReceived(STATELESS)));
      section.add(latencyRow(`${STATEFUL}: from submit`, fromSubmit(STATEFUL)));
      section.add(
        latencyRow(
          `${STATEFUL}: from RoundAnchored at bench`,
          fromRound((r) => r.arrivedAt),
        ),
      );
      section.add(
        latencyRow(
          `${STATEFUL}: from round closed_at`,
          fromRound((r) => r.closedAtUs / 1000),
        ),
      );
      for (const rule of [STATELESS, STATEFUL]) {
        const missing = of(rule).filter((v) => v.alertAt === undefined).length;
        section.note(
          `${rule}: ${of(rule).length} violations sent, ${missing} without an alert after the drain`,
        );
      }
      const noRound = of(STATEFUL).filter(
        (v) => v.alertAt !== undefined && anchoredAt(v) === undefined,
      ).length;
      if (noRound > 0) section.note(`${noRound} ${STATEFUL} alerts name a round the bench did not see`);
      section.note(
        'from submit = the alert reaches the bench − its SubmitBatch was sent (the whole path: ingest, NATS, alerter, Postgres, WatchAlerts).',
      );
      section.note(
        "from RoundAnchored = − the RoundAnchored message of the alert's anchored_round reached the bench (core NATS subscription on <prefix>.rounds); from closed_at = − decodeRound(round).closedAt (calendar clock, same host).",
      );
      section.note(
        `other alerts during the load: ${otherAlerts.size === 0 ? 'none' : [...otherAlerts].map(([r, n]) => `${r} × ${n}`).join(', ')}`,
      );
    });
    await runSection('Alerter backlog during the load and the drain', (section) => {
      for (const sample of samples) section.add(sample);
      const last = violations.reduce((max, v) => Math.max(max, v.alertAt ?? 0), 0);
      section.note(
        `backlog = stream messages − messages the alerter applied (its msi_alerter_messages_applied_total); at the end: events ${finalBacklog.events} of ${finalBacklog.eventsStream}, rounds ${finalBacklog.rounds} of ${finalBacklog.roundsStream}.`,
      );
      section.note(
        `the last violation's alert came ${((last - loadEnd) / 1000).toFixed(1)} s after the load ended (drain waited ${((drained - loadEnd) / 1000).toFixed(1)} s).`,
      );
    });
    await runSection('CPU during the load and memory per process', async (section) => {
      const seconds = (loadEnd - loadStart) / 1000;
      for (const name of names) {
        const memory = await rssMiB(pipeline?.process(name).pid);
        section.add({
          process: name,
          'CPU %': Math.round(((cpuUsed.get(name) ?? Number.NaN) / seconds) * 100),
          'RSS MiB': memory.rss,
          'peak RSS MiB': memory.peak,
        });
      }
      section.note(
        `CPU % of one core, averaged over the load; 200 % is the whole machine, which was ${Math.round(machineBusy * 100)} % busy (all processes, other tenants included, /proc/stat).`,
      );
    });
  } finally {
    subscription.unsubscribe();
    watch?.close();
    await pipeline?.stop();
    await nc.close();
    await database.drop().catch(() => {});
    await deleteNatsNamespace(servers.natsUrl, prefix).catch(() => {});
    await servers.stop();
    await rm(workDir, { recursive: true, force: true });
    if (PROFILE_DIR !== undefined) console.log(`alerter CPU profile in ${PROFILE_DIR}`);
  }
}

await main();
