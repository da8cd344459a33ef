// A service with a bad setting under the supervision `npm start` uses (startPipeline with restart):
// it exits 2 naming the setting, and is left down — not restarted in a loop — while the rest of the
// pipeline keeps running.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Pipeline, type SupervisionEvent, startPipeline, supervisionLineText } from '@msi/stack';
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
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const prefix = uniquePrefix();
const events: SupervisionEvent[] = [];
const logs: string[] = [];
let workDir: string;
let database: FreshDatabase;
let pipeline: Pipeline;
/** Whether the aggregator was running or about to be restarted when it was left down. */
let atLeftDown: { running: boolean; restarting: boolean } | undefined;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'msi-bad-configuration-'));
  database = await createFreshDatabase(testServerUrls().databaseUrl, 'bad_configuration');
  pipeline = await startPipeline({
    root: repositoryRoot(),
    workDir,
    natsUrl: testServerUrls().natsUrl,
    databaseUrl: database.url,
    prefix,
    shards: 2,
    roundIntervalMs: 500,
    aggregators: 1,
    ingestPort: await freePort(),
    apiKeys: [{ key: 'test-key-acme', tenant: 'acme', principal: 'etl', roles: ['emitter'] }],
    // Below the aggregator's minimum of 300 ms: a ConfigError, exit status 2.
    extraEnv: { aggregator: { MSI_AGGREGATOR_LEASE_TTL_MS: '5' } },
    // A short first delay: a restart loop would show at once.
    restart: {
      policy: { initialDelayMs: 10, maxDelayMs: 100, healthyAfterMs: 30_000 },
      onEvent: (event) => {
        if (event.kind === 'left-down' && event.name === 'aggregator-1') {
          const child = pipeline.process('aggregator-1');
          atLeftDown = { running: child.running, restarting: child.restarting };
        }
        events.push(event);
        logs.push(supervisionLineText(event, { color: undefined }));
      },
    },
    onLine: ({ name, line }) => logs.push(`${name} | ${line}`),
  });
}, 60_000);

afterAll(async () => {
  await pipeline?.stop();
  await deleteNatsNamespace(testServerUrls().natsUrl, prefix).catch(() => {});
  await database?.drop();
  if (workDir !== undefined) await rm(workDir, { recursive: true, force: true });
});

describe('a service that exits 2 (bad configuration)', () => {
  it('is left down, the console naming the setting; the rest keeps running', async () => {
    const left = await eventually(
      'the aggregator left down',
      () => events.find((e) => e.kind === 'left-down' && e.name === 'aggregator-1'),
      { detail: () => logs.slice(-40).join('\n') },
    );
    expect(left).toMatchObject({ exit: { code: 2, signal: null } });
    expect(left.kind === 'left-down' ? left.detail : undefined).toContain('MSI_AGGREGATOR_LEASE_TTL_MS');
    expect(logs).toContainEqual(
      expect.stringMatching(
        /^aggregator-1 +\| ! exited with status 2 \(a bad configuration\) and is not restarted — .*MSI_AGGREGATOR_LEASE_TTL_MS/s,
      ),
    );
    // No restart was scheduled: the decision is taken as it exits.
    expect(atLeftDown).toEqual({ running: false, restarting: false });

    await pipeline.waitUntilServing(30_000);
    expect(pipeline.process('calendar').running).toBe(true);
    expect(pipeline.process('ingest').running).toBe(true);
    // Still down, and said once: no loop.
    expect(pipeline.process('aggregator-1').running).toBe(false);
    expect(events.filter((e) => e.name === 'aggregator-1').map((e) => e.kind)).toEqual(['left-down']);
  });
});
