// @msi/client against the pipeline as processes (ingest, aggregator, calendar, verifier on
// NATS_URL / DATABASE_URL, else embedded servers), in one run, with the targets:
//   - individual events: the SDK at >= 90 % of a minimal raw gRPC client (SubmitBatch, same batch
//     size and calls in flight, bench/src/raw-ingest-client.ts) against the same ingest;
//   - aggregated events: >= 1,000,000 events/s per client core, each a full canonical event with its
//     nonce, hashed into local trees and anchored; the template path (events differing only in data
//     and id) against the hashing limit of the WASM kernel for the same event size;
//   - memory <= 100 B per pending aggregated event besides its bytes (which go to the store on disk);
//   - receipts of aggregated events made from the bundle >= 50,000/s, a sample verified;
//   - verification of receipts v2 >= 20,000/s on one core (checkpoint signatures checked once).
// Run once: `npx pnpm bench:client` (node --expose-gc, for the memory figure); `-- --only individual,memory`
// runs those parts (individual, aggregated, memory, receipts).

import { mkdtemp, rm, stat } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, Events, hashBytes, type MsiClient } from '@msi/client';
import { parseVerifierKey, portableEd25519, ReceiptVerifier } from '@msi/core';
import { nodeEd25519, nodeHasher } from '@msi/crypto-node';
import { createWasmHasherSync } from '@msi/hash-wasm';
import { merkleRootOfLeafHashes, portableHasher } from '@msi/merkle';
import { type Pipeline, startPipeline } from '@msi/stack';
import { createFreshDatabase, freePort, repositoryRoot, startTestServers, uniquePrefix } from '@msi/testkit';
import { formatRate, formatRatio, runSection, type Section, sinkValue } from './harness.js';
import { rawLoad } from './raw-ingest-client.js';

const API_KEY = 'client-bench-key';
const INDIVIDUAL_SECONDS = 6;
const GENERAL_EVENTS = 1_000_000;
const TEMPLATE_EVENTS = 3_000_000;
const MEMORY_EVENTS = 1_000_000;
const VERIFY_SAMPLE = 20_000;
const targets: { what: string; value: string; target: string; met: boolean }[] = [];

function target(what: string, value: number, goal: number, unit: string, ratio = false): void {
  const show = (n: number) => (ratio ? formatRatio(n) : `${formatRate(n)} ${unit}`);
  targets.push({ what, value: show(value), target: `>= ${show(goal)}`, met: value >= goal });
}

function heapBytes(): number {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

async function individual(pipeline: Pipeline, dir: string, section: Section): Promise<void> {
  const address = pipeline.ingestAddress;
  const sdkRun = async (): Promise<number> => {
    const client = createClient({ ingest: address, apiKey: API_KEY, insecure: true, receipts: { dir } });
    const data = hashBytes('individual');
    let durable = 0;
    const until = performance.now() + INDIVIDUAL_SECONDS * 1000;
    const start = performance.now();
    const inFlight = new Set<Promise<unknown>>();
    while (performance.now() < until) {
      while (inFlight.size < 20_000) {
        const p = client
          .emit(Events.store({ data, actor: 'loadgen', attributes: { n: '1' } }))
          .then(
            () => {
              durable++;
            },
            (error: unknown) => console.log(`  emit failed: ${String(error)}`),
          )
          .finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
      await Promise.race(inFlight);
    }
    const elapsed = (performance.now() - start) / 1000;
    await Promise.all(inFlight);
    await client.close();
    return durable / elapsed;
  };
  const raw: number[] = [];
  const sdk: number[] = [];
  for (let round = 0; round < 2; round++) {
    raw.push(await rawLoad(address, API_KEY, INDIVIDUAL_SECONDS, { batch: 500, inFlight: 4 }));
    sdk.push(await sdkRun());
  }
  const best = (xs: number[]) => Math.max(...xs);
  section.add({
    client: 'raw gRPC SubmitBatch (500 × 4 in flight)',
    'durable events/s': formatRate(best(raw)),
    runs: raw.map((r) => formatRate(r)).join(' / '),
  });
  section.add({
    client: '@msi/client emit (batches of 500, 4 in flight)',
    'durable events/s': formatRate(best(sdk)),
    runs: sdk.map((r) => formatRate(r)).join(' / '),
  });
  section.note(`ratio SDK / raw (best of 2 runs each, alternated): ${formatRatio(best(sdk) / best(raw))}`);
  target('individual: SDK / raw gRPC client', best(sdk) / best(raw), 0.9, '', true);
}

function aggregatingClient(pipeline: Pipeline, dir: string, intervalMs = 1000): MsiClient {
  return createClient({
    ingest: pipeline.ingestAddress,
    verifier: pipeline.verifierAddress ?? '',
    apiKey: API_KEY,
    insecure: true,
    aggregation: { intervalMs, maxLeaves: 1 << 21, maxPendingEvents: 1 << 23 },
    receipts: { dir, logKeys: [pipeline.verifierKey] },
  });
}

async function aggregated(
  pipeline: Pipeline,
  workDir: string,
  section: Section,
): Promise<{ client: MsiClient; dir: string }> {
  const dir = join(workDir, 'aggregated');
  const client = aggregatingClient(pipeline, dir);
  const digests = Array.from({ length: 4096 }, (_, i) => hashBytes(`item-${i}`));
  // the general path: a full event object per emit, validated and encoded (with its own nonce)
  let start = performance.now();
  for (let i = 0; i < GENERAL_EVENTS; i++) {
    await client.emit(
      {
        kind: 'STORE',
        data: digests[i & 4095] as (typeof digests)[number],
        actor: 'sensor-7',
        source: { system: 'edge', region: 'eu-west-1' },
        attributes: [{ key: 'batch', value: 'b1' }],
      },
      { mode: 'aggregated' },
    );
  }
  const generalSeconds = (performance.now() - start) / 1000;
  const generalRate = GENERAL_EVENTS / generalSeconds;
  // the template path: events that differ only in data and id (and nonce)
  const writer = client.aggregateTemplate({
    kind: 'STORE',
    actor: 'sensor-7',
    dataAlgorithm: 'sha256',
    source: { system: 'edge', region: 'eu-west-1', host: '' },
  });
  start = performance.now();
  const now = Date.now() * 1000;
  for (let i = 0; i < TEMPLATE_EVENTS; i++) {
    while (writer.tryEmit((digests[i & 4095] as (typeof digests)[number]).digest, now) < 0)
      await writer.ready();
  }
  const templateSeconds = (performance.now() - start) / 1000;
  const templateRate = TEMPLATE_EVENTS / templateSeconds;
  start = performance.now();
  await client.flush();
  const durableSeconds = (performance.now() - start) / 1000;
  await client.anchored();
  const anchoredSeconds = (performance.now() - start) / 1000;
  const trees = await client.trees();

  // the hashing limit for events of the template's size: leaf hashes of packed events and the tree
  const hasher = createWasmHasherSync();
  const n = 1 << 20;
  const size = writer.eventSize;
  const packed = new Uint8Array(n * size);
  const ends = Uint32Array.from({ length: n }, (_, i) => (i + 1) * size);
  const leaves = new Uint8Array(32 * n);
  start = performance.now();
  hasher.hashPackedLeaves(packed, 0, ends, n, leaves, 0);
  sinkRoot(merkleRootOfLeafHashes(hasher, leaves, n));
  const limit = n / ((performance.now() - start) / 1000);

  section.add({
    path: 'emit(event, aggregated): full event objects',
    events: formatRate(GENERAL_EVENTS),
    'events/s': formatRate(generalRate),
    'vs hashing limit': formatRatio(generalRate / limit),
  });
  section.add({
    path: `template: data + id differ (${size} B events)`,
    events: formatRate(TEMPLATE_EVENTS),
    'events/s': formatRate(templateRate),
    'vs hashing limit': formatRatio(templateRate / limit),
  });
  section.add({
    path: `hashing limit: WASM leaves + tree, ${size} B leaves`,
    events: formatRate(n),
    'events/s': formatRate(limit),
    'vs hashing limit': '1.00x',
  });
  section.note(
    `${GENERAL_EVENTS + TEMPLATE_EVENTS} events in ${trees.length} local trees; after the last emit: every root event durable in ${durableSeconds.toFixed(2)} s, every tree anchored (root receipts verified with the calendar key) in ${anchoredSeconds.toFixed(2)} s`,
  );
  target('aggregated, full events, emit + hash (one core)', generalRate, 1_000_000, 'events/s');
  target('aggregated, template path vs hashing limit', templateRate / limit, 1, '', true);
  return { client, dir };
}

async function memory(pipeline: Pipeline, workDir: string, section: Section): Promise<void> {
  const client = aggregatingClient(pipeline, join(workDir, 'memory'), 3_600_000);
  const writer = client.aggregateTemplate({ kind: 'STORE', actor: 'sensor-7', dataAlgorithm: 'sha256' });
  const digest = hashBytes('memory').digest;
  writer.tryEmit(digest); // the tree, its first chunk and the kernel exist before the baseline
  await new Promise((resolve) => setTimeout(resolve, 200));
  const before = heapBytes();
  for (let i = 1; i < MEMORY_EVENTS; i++) writer.tryEmit(digest);
  await client.stored(); // the events' bytes are in the store (on disk), not in memory
  // V8 releases the backing stores of collected ArrayBuffers on a background task after a GC: give it
  // a second, or the chunks just written would still be counted
  heapBytes();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const after = heapBytes();
  const perEvent = (after - before) / (MEMORY_EVENTS - 1);
  section.add({
    'pending events': formatRate(MEMORY_EVENTS),
    'heap + array buffers': `${((after - before) / 2 ** 20).toFixed(1)} MiB`,
    'B / event': perEvent.toFixed(1),
    'event bytes (to disk)': writer.eventSize,
  });
  section.note(
    (globalThis as { gc?: unknown }).gc === undefined
      ? 'run with --expose-gc for exact figures'
      : 'measured after gc()',
  );
  await client.close();
  targets.push({
    what: 'memory per pending aggregated event',
    value: `${perEvent.toFixed(1)} B`,
    target: '<= 100 B',
    met: perEvent <= 100,
  });
}

async function receipts(pipeline: Pipeline, client: MsiClient, dir: string, section: Section): Promise<void> {
  // the tree with the most bytes of events (read from the store's files, not by opening every bundle)
  let largest = { treeId: '', size: -1 };
  for (const { treeId } of await client.trees()) {
    const size = (await stat(join(dir, `${treeId}.events`))).size;
    if (size > largest.size) largest = { treeId, size };
  }
  let start = performance.now();
  const bundle = await client.bundle(largest.treeId);
  const openSeconds = (performance.now() - start) / 1000;
  const sample: Uint8Array[] = [];
  const every = Math.max(1, Math.floor(bundle.leafCount / VERIFY_SAMPLE));
  start = performance.now();
  let made = 0;
  for (const r of bundle.receipts()) {
    if (r.index % every === 0 && sample.length < VERIFY_SAMPLE) sample.push(r.json);
    made++;
  }
  const makeRate = made / ((performance.now() - start) / 1000);
  const trust = { logKeys: [parseVerifierKey(pipeline.verifierKey)] };
  const node = new ReceiptVerifier(trust, { hasher: nodeHasher(), ed25519: nodeEd25519() });
  start = performance.now();
  let failures = 0;
  for (const json of sample) {
    try {
      node.verify(json);
    } catch {
      failures++;
    }
  }
  const verifyRate = sample.length / ((performance.now() - start) / 1000);
  const portable = new ReceiptVerifier(trust, { hasher: portableHasher(), ed25519: portableEd25519() });
  const small = sample.slice(0, 2000);
  start = performance.now();
  for (const json of small) portable.verify(json);
  const portableRate = small.length / ((performance.now() - start) / 1000);
  const mutated = new TextDecoder().decode(sample[0]).replace('"leafIndex":0', '"leafIndex":1');
  let mutatedFails = false;
  try {
    node.verify(mutated);
  } catch {
    mutatedFails = true;
  }
  section.add({
    what: `make every receipt v2 of a tree of ${formatRate(bundle.leafCount)} (bundle opened in ${openSeconds.toFixed(2)} s)`,
    'receipts/s': formatRate(makeRate),
  });
  section.add({
    what: `verify ${formatRate(sample.length)} of them, node:crypto, ReceiptVerifier`,
    'receipts/s': formatRate(verifyRate),
  });
  section.add({
    what: `verify ${formatRate(small.length)}, portable (browser) ports`,
    'receipts/s': formatRate(portableRate),
  });
  section.note(
    `sample: ${sample.length - failures} of ${sample.length} verified; a receipt with leafIndex changed ${mutatedFails ? 'fails' : 'DID NOT FAIL'}`,
  );
  target('receipts v2 made from the bundle', makeRate, 50_000, 'receipts/s');
  target('receipts v2 verified, one core', verifyRate, 20_000, 'receipts/s');
  if (failures > 0 || !mutatedFails)
    targets.push({ what: 'sample verification', value: `${failures} failures`, target: '0', met: false });
}

let rootSink = 0;
function sinkRoot(root: Uint8Array): void {
  rootSink ^= root[0] ?? 0;
}

async function main(): Promise<void> {
  console.log(
    `@msi/client benchmark — Node ${process.versions.node}, ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}`,
  );
  const servers = await startTestServers();
  console.log(`servers: NATS from ${servers.origin.nats}, Postgres from ${servers.origin.postgres}`);
  const database = await createFreshDatabase(servers.databaseUrl, 'client_bench');
  const workDir = await mkdtemp(join(tmpdir(), 'msi-client-bench-'));
  let pipeline: Pipeline | undefined;
  try {
    pipeline = await startPipeline({
      root: repositoryRoot(),
      workDir,
      natsUrl: servers.natsUrl,
      databaseUrl: database.url,
      prefix: uniquePrefix(),
      shards: 2,
      roundIntervalMs: 1000,
      aggregators: 1,
      ingestPort: await freePort(),
      verifierPort: await freePort(),
      apiKeys: [{ key: API_KEY, tenant: 'bench', principal: 'client-bench', roles: ['emitter', 'auditor'] }],
      logLevel: 'warn',
      extraEnv: { ingest: { MSI_INGEST_MAX_IN_FLIGHT: '200000' } },
      onLine: ({ name, line }) => {
        if (line.includes('"level":"error"')) console.log(`  [${name}] ${line.slice(0, 300)}`);
      },
    });
    await pipeline.waitUntilServing(60_000);
    const p = pipeline;
    const only = process.argv.includes('--only')
      ? process.argv[process.argv.indexOf('--only') + 1]
      : undefined;
    const run = (name: string) => only === undefined || only.split(',').includes(name);
    if (run('individual')) {
      await runSection('Individual events: @msi/client vs a minimal raw gRPC client, same ingest', (s) =>
        individual(p, join(workDir, 'individual'), s),
      );
    }
    let anchoredClient: { client: MsiClient; dir: string } | undefined;
    if (run('aggregated') || run('receipts')) {
      await runSection(
        'Aggregated events: emitted, hashed into local trees, root events anchored',
        async (s) => {
          anchoredClient = await aggregated(p, workDir, s);
        },
      );
    }
    if (run('memory')) {
      await runSection('Memory per pending aggregated event (an open tree)', (s) => memory(p, workDir, s));
    }
    if (run('receipts') || run('aggregated')) {
      await runSection('Receipts of aggregated events', async (s) => {
        if (anchoredClient !== undefined) await receipts(p, anchoredClient.client, anchoredClient.dir, s);
      });
    }
    await anchoredClient?.client.close();
    await runSection('Targets', (s) => {
      for (const t of targets)
        s.add({ target: t.what, measured: t.value, wanted: t.target, met: t.met ? 'yes' : 'MISSED' });
    });
    console.log(`(sink ${sinkValue() ^ rootSink})`);
  } finally {
    await pipeline?.stop();
    await database.drop();
    await servers.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}

await main();
