// The receipt-serving benchmark: `pnpm bench:receipts [--events N] [--seconds N] [--ingest-rate N]
// [--clients N] [--caller lean|grpc-js] [--stream-runs N] [--receipt-cache-mib N] [--profile-verifier DIR]`. Starts the pipeline (calendar, 2 aggregators, ingest) and the verifier as processes
// against NATS and Postgres (NATS_URL / DATABASE_URL, else embedded servers), then:
//   1. preloads `--events` events as fast as ingest takes them and measures the verifier's
//      projection catching up (its maximum sustained rate, events/s);
//   2. with ingest taking `--ingest-rate` events/s beside it (SubmitBatch, 1,000 per request), measures
//      unary GetReceipt over the preloaded ids from `--clients` concurrent callers (receipts/s, p50,
//      p99; the callers are bench/src/lean-unary-caller.ts over node:http2, or grpc-js's client with
//      `--caller grpc-js`, which costs more than twice the CPU per call on this shared machine), then WatchReceipts of the whole tenant from round 0 and of 10,000 listed ids
//      (receipts/s; each stream `--stream-runs` times, default 3, the median printed with the
//      slowest and fastest run: one stream lasts about a second, too short for one run to be a
//      figure), and samples the projection's lag in rounds throughout.
// Prints each figure with its ratio to the issue's target and the durability it was measured at.
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { Client, credentials, Metadata } from '@grpc/grpc-js';
import { createClient, type EventInput, Events, type MsiClient } from '@msi/client';
import { imprintOf } from '@msi/core';
import { connectNats, streamNamesFor } from '@msi/nats';
import { createPool, type Pool } from '@msi/postgres';
import { verifierV1 } from '@msi/proto';
import { type Pipeline, startPipeline } from '@msi/stack';
import {
  createFreshDatabase,
  deleteNatsNamespace,
  freePort,
  repositoryRoot,
  startTestServers,
  uniquePrefix,
} from '@msi/testkit';
import { joinReceiptParts } from '@msi/wire';
import { jetstreamManager } from '@nats-io/jetstream';
import { formatRate, formatRatio, percentile, renderTable } from './harness.js';
import { LeanUnaryCaller } from './lean-unary-caller.js';
import { cpuSnapshot } from './process-cpu.js';

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at > 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name}: a positive number, got ${value}`);
  return value;
}
const PRELOAD = flag('events', 50_000);
const SECONDS = flag('seconds', 15);
const INGEST_RATE = flag('ingest-rate', 10_000);
const CLIENTS = flag('clients', 32);
const STREAM_RUNS = flag('stream-runs', 3);
/** The verifier's receipt cache budget (MSI_VERIFIER_RECEIPT_CACHE_MIB); the service's default without it. */
const cacheAt = process.argv.indexOf('--receipt-cache-mib');
const RECEIPT_CACHE_MIB = cacheAt > 0 ? flag('receipt-cache-mib', 128) : undefined;
/** --caller grpc-js: GetReceipt's callers use grpc-js's client; by default the lean node:http2 caller. */
const callerAt = process.argv.indexOf('--caller');
const CALLER = callerAt > 0 ? process.argv[callerAt + 1] : 'lean';
if (CALLER !== 'lean' && CALLER !== 'grpc-js') throw new Error(`--caller: lean or grpc-js, got ${CALLER}`);
const profileAt = process.argv.indexOf('--profile-verifier');
const PROFILE_DIR = profileAt > 0 ? process.argv[profileAt + 1] : undefined;
/** --verifier-node-arg FLAG (repeatable): a Node.js flag for the verifier, e.g. --max-semi-space-size=16. */
const VERIFIER_NODE_ARGS = process.argv.flatMap((arg, at) => {
  if (arg !== '--verifier-node-arg') return [];
  const value = process.argv[at + 1] ?? '';
  if (!value.startsWith('--'))
    throw new Error(
      `--verifier-node-arg takes a Node.js flag, e.g. --max-semi-space-size=16, not '${value}'`,
    );
  return [value];
});
const BATCH = 1000;
const LISTED = 10_000;
const TARGET = { unary: 5000, unaryP99Ms: 20, streamed: 20_000 };
const KEYS = [
  { key: 'bench-emitter', tenant: 'bench', principal: 'loadgen', roles: ['emitter' as const] },
  { key: 'bench-auditor', tenant: 'bench', principal: 'auditor', roles: ['auditor' as const] },
];
const GET_RECEIPT = '/msi.verifier.v1.VerifierService/GetReceipt';

const bearer = (key: string) => {
  const m = new Metadata();
  m.set('authorization', `Bearer ${key}`);
  return m;
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const data = Array.from({ length: 4096 }, (_, i) =>
  imprintOf('sha256', new TextEncoder().encode(`dataset-${i}`)),
);
const makeEvent = (i: number): EventInput =>
  Events.access({ data: data[i % data.length] ?? `sha256:${'0'.repeat(64)}`, actor: 'analyst' });

/** The load's emitter: @msi/client (the one client of the repository), batches of BATCH events. */
class Ingest {
  readonly #client: MsiClient;
  constructor(address: string) {
    this.#client = createClient({
      ingest: address,
      apiKey: 'bench-emitter',
      insecure: true,
      batching: { maxEvents: BATCH },
      queue: { maxEvents: 16 * BATCH },
    });
  }
  /** Emits the events; the ids acked durable (an event that failed for good is left out). */
  async submit(events: EventInput[]): Promise<Buffer[]> {
    const settled = await Promise.allSettled(events.map((event) => this.#client.emit(event)));
    return settled.flatMap((s) => (s.status === 'fulfilled' ? [Buffer.from(s.value.eventId)] : []));
  }
  close(): void {
    void this.#client.close().catch(() => {});
  }
}

/**
 * Background ingest at `rate` events/s (requests of 1,000 on a schedule, at most 8 in flight; a tick
 * with 8 in flight is skipped, so the rate reached is what ingest took) until told to stop. It runs
 * in a worker thread so that building and encoding its events never delays the measured calls.
 */
function backgroundLoad(address: string, rate: number) {
  const worker = new Worker(new URL(import.meta.url), { workerData: { address, rate } });
  return {
    stop(): Promise<number> {
      return new Promise((resolve, reject) => {
        worker.once('message', (reached: number) => {
          void worker.terminate();
          resolve(reached);
        });
        worker.once('error', reject);
        worker.postMessage('stop');
      });
    },
  };
}

/** The worker side of backgroundLoad. */
async function runBackgroundLoad(address: string, rate: number): Promise<void> {
  const ingest = new Ingest(address);
  let stopped = false;
  parentPort?.once('message', () => {
    stopped = true;
  });
  let acked = 0;
  const started = Date.now();
  const intervalMs = (BATCH * 1000) / rate;
  const inFlight = new Set<Promise<void>>();
  for (let next = Date.now(); !stopped; next += intervalMs) {
    const wait = next - Date.now();
    if (wait > 0) await sleep(wait);
    if (inFlight.size >= 8) continue;
    const sent: Promise<void> = ingest
      .submit(Array.from({ length: BATCH }, (_, i) => makeEvent(i)))
      .then((ids) => {
        acked += ids.length;
      })
      .catch(() => {})
      .finally(() => inFlight.delete(sent));
    inFlight.add(sent);
  }
  await Promise.all(inFlight);
  ingest.close();
  parentPort?.postMessage(acked / ((Date.now() - started) / 1000));
}

/** Samples the verifier's lag behind the calendar (rounds on the stream − rounds it applied). */
function lagSampler(db: Pool, roundsLast: () => Promise<number>) {
  const lags: number[] = [];
  let stopped = false;
  const running = (async () => {
    while (!stopped) {
      const [last, { rows }] = await Promise.all([
        roundsLast(),
        db.query('SELECT size FROM verifier.calendar_state'),
      ]);
      lags.push(Math.max(0, last - Number(rows[0]?.size ?? 0)));
      await sleep(500);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await running;
      return { max: Math.max(0, ...lags), mean: lags.reduce((a, b) => a + b, 0) / Math.max(1, lags.length) };
    },
  };
}

async function projectedEvents(db: Pool): Promise<number> {
  const { rows } = await db.query('SELECT count(*)::int8 AS n FROM verifier.events');
  return Number(rows[0]?.n ?? 0);
}

/** Preloads `count` events (4 requests in flight) and times the projection catching up. */
async function preload(ingest: Ingest, db: Pool, count: number) {
  const ids: Buffer[] = [];
  const started = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < count) {
        const size = Math.min(BATCH, count - next);
        next += size;
        ids.push(...(await ingest.submit(Array.from({ length: size }, (_, i) => makeEvent(i)))));
      }
    }),
  );
  const ingested = Date.now();
  const atIngested = await projectedEvents(db);
  let projected = atIngested;
  while (projected < ids.length) {
    await sleep(200);
    projected = await projectedEvents(db);
  }
  const caughtUp = Date.now();
  return {
    ids,
    ingestRate: ids.length / ((ingested - started) / 1000),
    /** Events/s the projection applied while it had a backlog (after ingest finished). */
    projectionRate:
      caughtUp - ingested > 500 ? (ids.length - atIngested) / ((caughtUp - ingested) / 1000) : Number.NaN,
    overallRate: ids.length / ((caughtUp - started) / 1000),
    backlogAtIngested: ids.length - atIngested,
  };
}

/**
 * `clients` concurrent GetReceipt loops over `ids` for `seconds`, over 4 channels: grpc-js's client,
 * or (by default) the lean node:http2 caller, which spends less than half of grpc-js's CPU per call
 * (bench:grpc-floor), CPU that the verifier shares on this machine.
 */
async function unaryLoad(address: string, ids: readonly Buffer[], clients: number, seconds: number) {
  const requests = ids.map((eventId) =>
    Buffer.from(verifierV1.GetReceiptRequest.encode({ eventId, wait: false }).finish()),
  );
  let call: (channel: number, request: Buffer) => Promise<boolean>;
  let close: () => void;
  if (CALLER === 'lean') {
    const channels = Array.from(
      { length: 4 },
      () => new LeanUnaryCaller(address, { authorization: 'Bearer bench-auditor' }),
    );
    call = async (c, request) => (await (channels[c % 4] as LeanUnaryCaller).call(GET_RECEIPT, request)).ok;
    close = () => {
      for (const channel of channels) channel.close();
    };
  } else {
    const channels = Array.from({ length: 4 }, () => new Client(address, credentials.createInsecure()));
    call = (c, request) =>
      new Promise<boolean>((resolve) =>
        (channels[c % 4] as Client).makeUnaryRequest(
          GET_RECEIPT,
          (bytes: Buffer) => bytes,
          (bytes: Buffer) => bytes,
          request,
          bearer('bench-auditor'),
          { deadline: Date.now() + 10_000 },
          (error) => resolve(error === null),
        ),
      );
    close = () => {
      for (const channel of channels) channel.close();
    };
  }
  const latencies: number[] = [];
  let failed = 0;
  const started = Date.now();
  const end = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      while (Date.now() < end) {
        const request = requests[Math.floor(Math.random() * requests.length)] as Buffer;
        const t = performance.now();
        const ok = await call(c, request);
        if (ok) latencies.push(performance.now() - t);
        else failed += 1;
      }
    }),
  );
  const elapsed = (Date.now() - started) / 1000;
  close();
  return {
    rate: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    failed,
  };
}

/** Reads a WatchReceipts stream until `count` receipts arrived; receipts/s from the call. */
async function streamed(address: string, request: Partial<verifierV1.WatchReceiptsRequest>, count: number) {
  const client = new verifierV1.VerifierServiceClient(address, credentials.createInsecure(), {
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
  });
  const started = Date.now();
  let received = 0;
  const seen = new Set<string>();
  let repeated = 0;
  await new Promise<void>((resolve, reject) => {
    const call = client.watchReceipts(
      verifierV1.WatchReceiptsRequest.fromPartial(request),
      bearer('bench-auditor'),
      {
        deadline: Date.now() + 300_000,
      },
    );
    call.on('data', (m: verifierV1.WatchReceiptsResponse) => {
      for (const r of m.receipts) {
        // What a client holds in the end is each whole receipt: with shared anchors, joined here.
        if (m.anchors.length > 0) {
          const anchor = m.anchors[r.anchor];
          if (anchor === undefined || r.receipt === undefined) throw new Error(`no anchor ${r.anchor}`);
          joinReceiptParts(anchor, r.receipt);
        }
        const key = Buffer.from(r.eventId).toString('hex');
        if (seen.has(key)) repeated += 1;
        seen.add(key);
      }
      received += m.receipts.length;
      if (received >= count) {
        call.cancel();
        resolve();
      }
    });
    call.on('error', (error: { code?: number }) => (error.code === 1 ? resolve() : reject(error)));
    call.on('end', () => resolve());
  });
  client.close();
  return { rate: received / ((Date.now() - started) / 1000), received, repeated };
}

/** The median rate of a stream phase's runs, its slowest and fastest, and their receipts in all. */
function summarizeRuns(results: readonly { rate: number; received: number; repeated: number }[]) {
  const rates = results.map((r) => r.rate).sort((a, b) => a - b);
  return {
    rate: rates[Math.floor((rates.length - 1) / 2)] ?? Number.NaN,
    slowest: rates[0] ?? Number.NaN,
    fastest: rates[rates.length - 1] ?? Number.NaN,
    received: results.reduce((sum, r) => sum + r.received, 0),
    receivedPerRun: results[0]?.received ?? 0,
    repeated: results.reduce((sum, r) => sum + r.repeated, 0),
  };
}

async function durability(db: Pool, pipeline: Pipeline): Promise<string> {
  const setting = async (name: string) => String((await db.query(`SHOW ${name}`)).rows[0]?.[name]);
  return [
    `Postgres synchronous_commit=${await setting('synchronous_commit')}, fsync=${await setting('fsync')}`,
    'NATS JetStream: replicas 1, file storage, server default sync_interval (2.9: fsync every 2 minutes)',
    `ingest acks after the JetStream publish ack; ${pipeline.processes.size} service processes`,
  ].join('; ');
}

async function main(): Promise<void> {
  console.log(
    `receipt-serving benchmark — Node ${process.versions.node}, ${cpus().length} × ${cpus()[0]?.model}`,
  );
  const servers = await startTestServers();
  const prefix = uniquePrefix();
  const database = await createFreshDatabase(servers.databaseUrl, 'rbench');
  const workDir = await mkdtemp(join(tmpdir(), 'msi-rbench-'));
  const nc = await connectNats({ servers: servers.natsUrl, name: 'msi-rbench' });
  const jsm = await jetstreamManager(nc);
  const db = createPool({ connectionString: database.url, max: 2, applicationName: 'msi-rbench' });
  const pipeline = await startPipeline({
    root: repositoryRoot(),
    workDir,
    natsUrl: servers.natsUrl,
    databaseUrl: database.url,
    prefix,
    shards: 4,
    roundIntervalMs: 1000,
    aggregators: 2,
    ingestPort: await freePort(),
    verifierPort: await freePort(),
    apiKeys: KEYS.map((k) => ({ ...k, roles: [...k.roles] })),
    logLevel: 'warn',
    ...(RECEIPT_CACHE_MIB === undefined
      ? {}
      : { extraEnv: { verifier: { MSI_VERIFIER_RECEIPT_CACHE_MIB: String(RECEIPT_CACHE_MIB) } } }),
    nodeArgs: {
      verifier: [
        ...VERIFIER_NODE_ARGS,
        ...(PROFILE_DIR === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`]),
      ],
    },
  });
  const ingest = new Ingest(pipeline.ingestAddress);
  try {
    await pipeline.waitUntilServing(60_000);
    const address = pipeline.verifierAddress ?? '';
    const roundsLast = async () => (await jsm.streams.info(streamNamesFor(prefix).rounds)).state.last_seq;
    console.log(`durability: ${await durability(db, pipeline)}`);
    console.log(
      `verifier receipt cache: ${RECEIPT_CACHE_MIB === undefined ? 'the service default' : `${RECEIPT_CACHE_MIB} MiB`}`,
    );

    const loaded = await preload(ingest, db, PRELOAD);
    console.log(
      `preload: ${loaded.ids.length} events at ${formatRate(loaded.ingestRate)} events/s; projection backlog when ` +
        `ingest finished ${loaded.backlogAtIngested} events; projection while behind ${formatRate(loaded.projectionRate)} ` +
        `events/s (maximum sustained rate; '-' = it kept up), ${formatRate(loaded.overallRate)} events/s from first submit to all projected`,
    );
    // Every preloaded event anchored before the receipts are measured.
    await streamed(address, { eventIds: loaded.ids.slice(-1) }, 1);

    const load = backgroundLoad(pipeline.ingestAddress, INGEST_RATE);
    const lag = lagSampler(db, roundsLast);
    await sleep(3000); // the load settles
    // Each phase's CPU, per process (this bench's callers and load worker included) and machine.
    const phases: { name: string; cpu: Map<string, number | undefined>; seconds: number }[] = [];
    const measured = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
      const self = 'this bench (callers, background load worker)';
      const before = await cpuSnapshot(pipeline.processes, self);
      const started = performance.now();
      const result = await run();
      const seconds = (performance.now() - started) / 1000;
      const after = await cpuSnapshot(pipeline.processes, self);
      const cpu = new Map<string, number | undefined>();
      for (const [process, end] of after) {
        const begin = before.get(process);
        cpu.set(process, end === undefined || begin === undefined ? undefined : end - begin);
      }
      phases.push({ name, cpu, seconds });
      return result;
    };
    const verifierCpuUs = (phase: number) => phases[phase]?.cpu.get('verifier') ?? Number.NaN;
    const unary = await measured('GetReceipt', () => unaryLoad(address, loaded.ids, CLIENTS, SECONDS));
    // Each stream phase runs STREAM_RUNS times; the listed ids of run i are the i-th slice of LISTED
    // preloaded ids (wrapping), so no run reads only what the one before it warmed.
    const listedIds = (run: number) => {
      const from = (run * LISTED) % loaded.ids.length;
      const ids = loaded.ids.slice(from, from + LISTED);
      return ids.length === Math.min(LISTED, loaded.ids.length) ? ids : loaded.ids.slice(0, LISTED);
    };
    const runs = (name: string, request: (run: number) => Partial<verifierV1.WatchReceiptsRequest>) =>
      measured(name, async () => {
        const results: Awaited<ReturnType<typeof streamed>>[] = [];
        for (let run = 0; run < STREAM_RUNS; run++) {
          const asked = request(run);
          const count = asked.eventIds === undefined ? loaded.ids.length : asked.eventIds.length;
          results.push(await streamed(address, asked, count));
        }
        return summarizeRuns(results);
      });
    const tenant = await runs('tenant stream', () => ({ fromRound: 0n }));
    const listed = await runs('listed stream', (run) => ({ eventIds: listedIds(run) }));
    const tenantShared = await runs('tenant, shared anchors', () => ({ fromRound: 0n, sharedAnchors: true }));
    const listedShared = await runs('listed, shared anchors', (run) => ({
      eventIds: listedIds(run),
      sharedAnchors: true,
    }));
    const ingestRate = await load.stop();
    const lagged = await lag.stop();

    console.log(
      `\nreceipts while ingest takes ${formatRate(ingestRate)} events/s (target ${formatRate(INGEST_RATE)}):`,
    );
    console.log(
      renderTable([
        {
          figure: `GetReceipt (${CLIENTS} ${CALLER} callers, ${SECONDS} s)`,
          value: `${formatRate(unary.rate)}/s`,
          target: `${formatRate(TARGET.unary)}/s`,
          ratio: formatRatio(unary.rate / TARGET.unary),
          'verifier CPU µs/receipt': Math.round(verifierCpuUs(0) / Math.max(1, unary.rate * SECONDS)),
        },
        {
          figure: 'GetReceipt p50 / p99',
          value: `${unary.p50.toFixed(1)} / ${unary.p99.toFixed(1)} ms`,
          target: `p99 ≤ ${TARGET.unaryP99Ms} ms`,
          ratio: formatRatio(TARGET.unaryP99Ms / unary.p99),
          'verifier CPU µs/receipt': '',
        },
        ...[
          { label: `tenant from round 0 (${tenant.receivedPerRun})`, result: tenant, phase: 1 },
          { label: `${listed.receivedPerRun} listed ids`, result: listed, phase: 2 },
          { label: `tenant, shared anchors`, result: tenantShared, phase: 3 },
          { label: `listed ids, shared anchors`, result: listedShared, phase: 4 },
        ].map(({ label, result, phase }) => ({
          figure: `WatchReceipts, ${label}`,
          value: `${formatRate(result.rate)}/s (${formatRate(result.slowest)}–${formatRate(result.fastest)})`,
          target: `${formatRate(TARGET.streamed)}/s`,
          ratio: formatRatio(result.rate / TARGET.streamed),
          'verifier CPU µs/receipt': Math.round(verifierCpuUs(phase) / Math.max(1, result.received)),
        })),
      ]),
    );
    const getReceiptCpu = phases[0]?.cpu;
    const machineShare =
      (getReceiptCpu?.get('whole machine') ?? Number.NaN) / 1e6 / (phases[0]?.seconds ?? 1) / 2;
    console.log(
      `streams: the median of ${STREAM_RUNS} runs each (slowest–fastest in brackets); CPU per receipt over all runs`,
    );
    console.log(
      `GetReceipt failures ${unary.failed}; streamed receipts repeated: tenant ${tenant.repeated}, listed ${listed.repeated}, shared ${tenantShared.repeated + listedShared.repeated}; ` +
        `machine ${Math.round(machineShare * 100)} % busy during GetReceipt (all processes, both cores)`,
    );
    console.log('where the CPU went in each phase (% of one core; the machine has 2):');
    console.log(
      renderTable(
        [...(getReceiptCpu?.keys() ?? [])].map((process) => {
          const row: Record<string, string> = { process };
          for (const phase of phases) {
            const spent = phase.cpu.get(process);
            row[phase.name] = spent === undefined ? 'n/a' : ((spent / 1e6 / phase.seconds) * 100).toFixed(0);
          }
          return row;
        }),
      ),
    );
    console.log(
      `projection lag behind the calendar under load: max ${lagged.max} rounds, mean ${lagged.mean.toFixed(2)} rounds`,
    );
  } finally {
    ingest.close();
    await pipeline.stop();
    if (PROFILE_DIR !== undefined) console.log(`verifier CPU profile in ${PROFILE_DIR}`);
    await db.end();
    await nc.close();
    await database.drop().catch(() => {});
    await deleteNatsNamespace(servers.natsUrl, prefix).catch(() => {});
    await rm(workDir, { recursive: true, force: true });
    await servers.stop();
  }
}

if (isMainThread) await main();
else await runBackgroundLoad(String(workerData.address), Number(workerData.rate));
