// The MSI agent's benchmark (issue 17 targets): a baseline of N files hashed and anchored; a change
// made durable (spooled, acked by ingest) and anchored (its receipt verified), p99 over sequential
// changes; CPU and RSS of the agent idle while it watches the N files. The agent runs in this
// process against the pipeline as processes (ingest, an aggregator, the calendar, the verifier;
// 2 shards, 500 ms rounds). `--files N` (default 20,000) of `--size BYTES` (default 10,240).
// The files are written just before the baseline: the page cache is WARM for every figure (dropping
// it needs root, which the shared machine does not give).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openAgent, parseAgentConfig } from '@msi/agent';
import { createLogger } from '@msi/service-kit';
import { type Pipeline, startPipeline } from '@msi/stack';
import { createFreshDatabase, freePort, repositoryRoot, startTestServers, uniquePrefix } from '@msi/testkit';
import { runSection } from './harness.js';

const API_KEY = 'agent-bench-key';
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
};
const FILES = arg('files', 20_000);
const SIZE = arg('size', 10_240);
const CHANGES = arg('changes', 50);
const IDLE_SECONDS = arg('idle', 20);
const PER_DIR = 100;

const percentile = (values: readonly number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function writeTree(root: string): Promise<void> {
  const block = Buffer.alloc(SIZE);
  for (let i = 0; i < FILES; i++) {
    if (i % PER_DIR === 0) await mkdir(join(root, `d${i / PER_DIR}`), { recursive: true });
    block.writeUInt32BE(i, 0); // distinct content per file
    await writeFile(join(root, `d${Math.floor(i / PER_DIR)}`, `f${i}.conf`), block);
  }
}

async function bench(pipeline: Pipeline, workDir: string): Promise<void> {
  const root = join(workDir, 'files');
  await writeTree(root);
  const config = parseAgentConfig(`version: 1
host: bench-host
watch: [{ path: ${root}, class: config }]
limits: { max_files: ${FILES + 1000} }
rescan_interval: 1h
state_dir: ${join(workDir, 'state')}
spool: { max_size: 64MiB }
ingest:
  address: ${pipeline.ingestAddress}
  verifier: ${pipeline.verifierAddress}
  insecure: true
  log_keys: ["${pipeline.verifierKey}"]
`);
  const log = createLogger({ service: 'agent', level: 'warn', write: (line) => process.stderr.write(line) });
  const open = await openAgent({ config, host: 'bench-host', apiKey: API_KEY, log, nowMs: Date.now });
  try {
    await runSection(
      `Baseline of ${FILES} files of ${SIZE} B (${((FILES * SIZE) / 2 ** 20).toFixed(0)} MiB), warm cache`,
      async (s) => {
        const t0 = performance.now();
        const summary = await open.agent.start();
        const t1 = performance.now();
        await open.client.anchored();
        const t2 = performance.now();
        s.add({ step: 'scanned, hashed, emitted in aggregate', seconds: ((t1 - t0) / 1000).toFixed(2) });
        s.add({
          step: 'and every local tree anchored (receipts verified)',
          seconds: ((t2 - t0) / 1000).toFixed(2),
        });
        s.note(
          `${summary.aggregated} states; ${open.agent.watches} directory watches; target 100,000 files (1 GiB) in ≤ 10 s`,
        );
      },
    );

    await runSection(`${CHANGES} changes, one at a time, seen by the watch`, async (s) => {
      const durable: number[] = [];
      const anchored: number[] = [];
      for (let i = 0; i < CHANGES; i++) {
        const path = join(root, `d${i % (FILES / PER_DIR)}`, `f${i}.conf`);
        const before = open.index.last(path)?.id;
        const t0 = performance.now();
        await writeFile(path, `changed ${i} ${Date.now()}\n`);
        while (open.index.last(path)?.id === before || open.spool.outstanding.length > 0) await sleep(1);
        durable.push(performance.now() - t0);
        await open.client.anchored();
        anchored.push(performance.now() - t0);
      }
      for (const [what, values, target] of [
        ['change → durable (spooled, acked by ingest)', durable, 1000],
        ['change → anchored (receipt v1 verified)', anchored, 2500],
      ] as const) {
        s.add({
          what,
          p50: percentile(values, 50).toFixed(0),
          p99: percentile(values, 99).toFixed(0),
          max: Math.max(...values).toFixed(0),
          'target p99 ms': target,
        });
      }
      s.note('ms; polled every 1 ms; 500 ms calendar rounds');
    });

    await runSection(`Idle: watching ${FILES} files for ${IDLE_SECONDS} s (no rescan)`, async (s) => {
      (globalThis as { gc?: () => void }).gc?.();
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await sleep(IDLE_SECONDS * 1000);
      const cpu = process.cpuUsage(cpu0);
      const wall = performance.now() - t0;
      const share = ((cpu.user + cpu.system) / 1000 / wall) * 100;
      s.add({ what: 'CPU, % of one core', measured: share.toFixed(2), target: '≤ 2' });
      s.add({
        what: 'RSS, MiB',
        measured: (process.memoryUsage().rss / 2 ** 20).toFixed(0),
        target: '≤ 150',
      });
      s.note('the agent runs in the benchmark process: RSS includes the harness and the client');
    });
  } finally {
    await open.close();
  }
}

async function main(): Promise<void> {
  console.log(
    `MSI agent benchmark — Node ${process.versions.node}, ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}`,
  );
  const servers = await startTestServers();
  const database = await createFreshDatabase(servers.databaseUrl, 'agent_bench');
  const workDir = await mkdtemp(join(tmpdir(), 'msi-agent-bench-'));
  let pipeline: Pipeline | undefined;
  try {
    pipeline = await startPipeline({
      root: repositoryRoot(),
      workDir,
      natsUrl: servers.natsUrl,
      databaseUrl: database.url,
      prefix: uniquePrefix(),
      shards: 2,
      roundIntervalMs: 500,
      aggregators: 1,
      ingestPort: await freePort(),
      verifierPort: await freePort(),
      apiKeys: [{ key: API_KEY, tenant: 'bench', principal: 'agent-bench', roles: ['emitter', 'auditor'] }],
      logLevel: 'warn',
      onLine: ({ name, line }) => {
        if (line.includes('"level":"error"')) console.log(`  [${name}] ${line.slice(0, 300)}`);
      },
    });
    await pipeline.waitUntilServing(60_000);
    await bench(pipeline, workDir);
  } finally {
    await pipeline?.stop();
    await database.drop();
    await servers.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}

await main();
