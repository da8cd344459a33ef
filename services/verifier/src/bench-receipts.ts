// Receipt-serving benchmark: `node services/verifier/dist/bench-receipts.js [--seconds N]
// [--events N] [--ingest-rate N] [--clients N]`. Starts the pipeline (processes) and the verifier
// (in-process) against NATS and Postgres (NATS_URL / DATABASE_URL, else embedded servers), anchors
// a preload of events, then measures GetReceipt (receipts/s, p50, p99) from concurrent clients while
// ingest receives a steady background load. Prints the figures and the load; asserts nothing.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, Metadata } from '@grpc/grpc-js';
import { encodeImprint, imprintOf, mintUuidV7 } from '@msi/core';
import { nodeEd25519, nodeHasher } from '@msi/crypto-node';
import { connectNats } from '@msi/nats';
import { createPool } from '@msi/postgres';
import { eventV1, ingestV1, verifierV1 } from '@msi/proto';
import { createLogger, createRegistry, ServiceHealth } from '@msi/service-kit';
import { startPipeline } from '@msi/stack';
import {
  createFreshDatabase,
  deleteNatsNamespace,
  freePort,
  repositoryRoot,
  startTestServers,
  uniquePrefix,
} from '@msi/testkit';
import { ApiKeys } from './credentials.js';
import { startVerifier } from './verifier.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const SECONDS = arg('--seconds', 10);
const PRELOAD = arg('--events', 20_000);
const INGEST_RATE = arg('--ingest-rate', 2_000);
const CLIENTS = arg('--clients', 16);
const KEYS = [
  { key: 'bench-emitter', tenant: 'bench', principal: 'loadgen', roles: ['emitter' as const] },
  { key: 'bench-auditor', tenant: 'bench', principal: 'auditor', roles: ['auditor' as const] },
];

const auth = (key: string) => {
  const m = new Metadata();
  m.set('authorization', `Bearer ${key}`);
  return m;
};

function makeEvent(i: number): eventV1.DataEvent {
  return eventV1.DataEvent.fromPartial({
    eventId: Buffer.from(mintUuidV7(Date.now(), randomBytes(16))),
    kind: eventV1.EventKind.EVENT_KIND_ACCESS,
    data: Buffer.from(encodeImprint(imprintOf('sha256', new TextEncoder().encode(`dataset-${i % 4096}`)))),
    actor: 'analyst',
    occurredAtUs: BigInt(Date.now() * 1000),
  });
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function main(): Promise<void> {
  console.log(
    `verifier receipt benchmark — Node ${process.versions.node}, ${cpus().length} × ${cpus()[0]?.model}`,
  );
  const servers = await startTestServers();
  const prefix = uniquePrefix();
  const database = await createFreshDatabase(servers.databaseUrl, 'vbench');
  const workDir = await mkdtemp(join(tmpdir(), 'msi-vbench-'));
  const nc = await connectNats({ servers: servers.natsUrl, name: 'msi-vbench' });
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
    apiKeys: KEYS.map((k) => ({ ...k, roles: [...k.roles] })),
    logLevel: 'warn',
  });
  const pool = createPool({ connectionString: database.url, applicationName: 'msi-verifier-bench' });
  const verifier = await startVerifier({
    nc,
    pool,
    health: new ServiceHealth(),
    registry: createRegistry('verifier'),
    prefix,
    calendarKey: pipeline.verifierKey,
    keys: ApiKeys.fromJson(JSON.stringify({ credentials: KEYS })),
    hasher: nodeHasher(),
    ed25519: nodeEd25519(),
    host: '127.0.0.1',
    port: 0,
    log: createLogger({ service: 'verifier', level: 'warn' }),
  });
  try {
    await pipeline.waitUntilServing(60_000);
    const ingest = new ingestV1.IngestServiceClient(pipeline.ingestAddress, credentials.createInsecure());
    const submit = (events: eventV1.DataEvent[]) =>
      new Promise<void>((resolve, reject) => {
        ingest.submitBatch({ events }, auth('bench-emitter'), { deadline: Date.now() + 30_000 }, (e) =>
          e === null ? resolve() : reject(e),
        );
      });
    const ids: Buffer[] = [];
    for (let i = 0; i < PRELOAD; i += 1000) {
      const batch = Array.from({ length: Math.min(1000, PRELOAD - i) }, (_, j) => makeEvent(i + j));
      await submit(batch);
      for (const e of batch) ids.push(e.eventId);
    }
    const client = new verifierV1.VerifierServiceClient(
      `127.0.0.1:${verifier.port}`,
      credentials.createInsecure(),
    );
    const getReceipt = (eventId: Buffer, wait: boolean) =>
      new Promise<void>((resolve, reject) => {
        client.getReceipt({ eventId, wait }, auth('bench-auditor'), { deadline: Date.now() + 60_000 }, (e) =>
          e === null ? resolve() : reject(e),
        );
      });
    const anchoredFrom = Date.now();
    await getReceipt(ids.at(-1) ?? Buffer.alloc(16), true);
    console.log(
      `preloaded ${ids.length} events; last anchored and projected ${Date.now() - anchoredFrom} ms after`,
    );

    let stopLoad = false;
    let ingested = 0;
    const load = (async () => {
      const per = Math.max(1, Math.round(INGEST_RATE / 10));
      while (!stopLoad) {
        const started = Date.now();
        // SubmitBatch takes at most 1,000 events: split the tick's load into concurrent requests.
        const sizes = Array.from({ length: Math.ceil(per / 1000) }, (_, k) => Math.min(1000, per - k * 1000));
        await Promise.all(sizes.map((size) => submit(Array.from({ length: size }, (_, j) => makeEvent(j)))));
        ingested += per;
        await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - started))));
      }
    })();
    const latencies: number[] = [];
    const end = Date.now() + SECONDS * 1000;
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (Date.now() < end) {
          const id = ids[Math.floor(Math.random() * ids.length)] ?? Buffer.alloc(16);
          const t = performance.now();
          await getReceipt(id, false);
          latencies.push(performance.now() - t);
        }
      }),
    );
    stopLoad = true;
    await load;
    console.log(
      `GetReceipt: ${Math.round(latencies.length / SECONDS)} receipts/s with ${CLIENTS} clients over ${SECONDS} s; ` +
        `p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms; ` +
        `background ingest ${Math.round(ingested / SECONDS)} events/s (target ${INGEST_RATE}); preload ${ids.length}`,
    );
    client.close();
    ingest.close();
  } finally {
    await verifier.stop();
    await pool.end();
    await pipeline.stop();
    await nc.close();
    await deleteNatsNamespace(servers.natsUrl, prefix).catch(() => {});
    await rm(workDir, { recursive: true, force: true });
    await servers.stop();
  }
}

await main();
