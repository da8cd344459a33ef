// Custody-view benchmark: `node services/console/dist/bench-custody.js [--events N] [--runs N]`.
// Starts the pipeline with the verifier, the alerter and the console as processes (NATS_URL /
// DATABASE_URL, else embedded servers), emits N events (default 1,000) naming one data item (STORE,
// ACCESS, PROCESS from it, TRANSFERs of it), waits until all are anchored, then, with the stack idle,
// searches the item in headless Chromium and times (a) the in-page verification left once the last
// page is read (pages are verified while the next is read) plus the lineage build, (b) the reading,
// (c) the page's search → everything drawn, and (d) the search click → every row and the graph drawn
// as Playwright sees it. Prints the figures; asserts nothing.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { runCli } from '@msi/cli';
import { startPipeline } from '@msi/stack';
import {
  createFreshDatabase,
  deleteNatsNamespace,
  freePort,
  repositoryRoot,
  startTestServers,
  uniquePrefix,
} from '@msi/testkit';
import { launchChromium } from './browser.test-helper.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const EVENTS = arg('--events', 1000);
const RUNS = arg('--runs', 3);
const KEY = 'bench-acme';

const hex = (n: number) => n.toString(16).padStart(64, '0');

/** N events naming `sha256:<1…>` as data or input: a mix of kinds, as a busy item's custody has. */
function eventLines(count: number): string {
  const data = `sha256:${hex(1)}`;
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const pick = i % 5;
    if (pick === 0)
      lines.push(
        JSON.stringify({ kind: 'STORE', data, actor: `writer-${i % 7}`, destination: 's3/eu-west-1/b' }),
      );
    else if (pick === 1) lines.push(JSON.stringify({ kind: 'ACCESS', data, actor: `analyst-${i % 11}` }));
    else if (pick === 2) {
      const output = `sha256:${hex(1000 + i)}`;
      lines.push(
        JSON.stringify({
          kind: 'PROCESS',
          data: output,
          actor: `etl-${i % 3}`,
          input: [data],
          output: [output],
        }),
      );
    } else {
      const region = ['eu-central-1', 'eu-north-1', 'us-east-1'][i % 3];
      lines.push(
        JSON.stringify({
          kind: 'TRANSFER',
          data,
          actor: 'mover',
          source: 's3/eu-west-1/b',
          destination: `sys-${i % 13}/${region}/h`,
        }),
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  console.log(
    `console custody benchmark — Node ${process.versions.node}, ${cpus().length} × ${cpus()[0]?.model}`,
  );
  const servers = await startTestServers();
  const prefix = uniquePrefix();
  const database = await createFreshDatabase(servers.databaseUrl, 'cbench');
  const workDir = await mkdtemp(join(tmpdir(), 'msi-cbench-'));
  const pipeline = await startPipeline({
    root: repositoryRoot(),
    workDir,
    natsUrl: servers.natsUrl,
    databaseUrl: database.url,
    prefix,
    shards: 4,
    roundIntervalMs: 1000,
    aggregators: 1,
    ingestPort: await freePort(),
    verifierPort: await freePort(),
    alerter: {
      port: await freePort(),
      policyFile: join(repositoryRoot(), 'services/alerter/policies/default.yaml'),
    },
    consolePort: await freePort(),
    apiKeys: [{ key: KEY, tenant: 'acme', principal: 'bench', roles: ['emitter', 'auditor'] }],
    logLevel: 'warn',
  });
  const browser = await launchChromium();
  try {
    await pipeline.waitUntilServing(60_000);
    const jsonl = join(workDir, 'events.jsonl');
    await writeFile(jsonl, eventLines(EVENTS));
    const env = { MSI_INGEST_ADDRESS: pipeline.ingestAddress, MSI_API_KEY: KEY };
    let err = '';
    const status = await runCli(['emit', '--insecure', '--jsonl', jsonl], {
      out: () => {},
      err: (t) => {
        err += t;
      },
      stdin: () => Readable.from([]),
      env,
      now: () => Date.now(),
    });
    if (status !== 0) throw new Error(`emit failed: ${err}`);
    const url = pipeline.consoleUrl ?? '';
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(url);
    await page.getByLabel('API key').fill(KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel(/Verifier keys you trust/).fill(pipeline.verifierKey);
    const data = `sha256:${hex(1)}`;
    // Wait until every event is anchored (all rows valid), then let the stack go idle.
    for (;;) {
      await page.getByLabel('Data hash or event id').fill(data);
      await page.getByRole('button', { name: 'Search' }).click();
      await page.getByTestId('custody-result').waitFor({ timeout: 60_000 });
      const valid = await page.locator('[data-testid="custody-row"].row-valid').count();
      if (valid >= EVENTS) break;
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const verifyMs: number[] = [];
    const wallMs: number[] = [];
    const fetchMs: number[] = [];
    const drawnMs: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      await page.reload();
      await page.getByLabel('API key').fill(KEY);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByLabel(/Verifier keys you trust/).fill(pipeline.verifierKey);
      await page.getByLabel('Data hash or event id').fill(data);
      const started = performance.now();
      await page.getByRole('button', { name: 'Search' }).click();
      const result = page.getByTestId('custody-result');
      await result.waitFor({ timeout: 60_000 });
      await page
        .locator('[data-testid="custody-row"]')
        .nth(EVENTS - 1)
        .waitFor();
      wallMs.push(performance.now() - started);
      // The page's own figures: drawn = its search start → the frame after the result was drawn.
      await page.locator('[data-testid="custody-result"][data-drawn-ms]').waitFor();
      verifyMs.push(Number(await result.getAttribute('data-verify-ms')));
      fetchMs.push(Number(await result.getAttribute('data-fetch-ms')));
      drawnMs.push(Number(await result.getAttribute('data-drawn-ms')));
    }
    const nodes = await page.getByTestId('lineage-node').count();
    const median = (values: number[]) =>
      [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
    const list = (values: number[]) => values.map((v) => v.toFixed(0)).join(', ');
    console.log(
      `custody of ${EVENTS} events (${nodes} graph nodes), headless Chromium, ${RUNS} runs: ` +
        `in-page verification left after the last page was read + lineage median ${median(verifyMs).toFixed(0)} ms (${list(verifyMs)}); ` +
        `history read from the server (GetHistory pages through the gateway, receipts verified meanwhile) median ${median(fetchMs).toFixed(0)} ms (${list(fetchMs)}); ` +
        `in the page, search → everything drawn median ${median(drawnMs).toFixed(0)} ms (${list(drawnMs)}); ` +
        `search click → all rows and graph drawn (Playwright) median ${median(wallMs).toFixed(0)} ms (${list(wallMs)})`,
    );
  } finally {
    await browser.close();
    await pipeline.stop();
    await deleteNatsNamespace(servers.natsUrl, prefix).catch(() => {});
    await rm(workDir, { recursive: true, force: true });
    await servers.stop();
  }
}

await main();
