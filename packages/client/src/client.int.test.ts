// @msi/client against the real stack (NATS, Postgres, calendar, aggregator, ingest and verifier as
// processes): individual and aggregated events in one session, their receipts verifying offline and
// failing on any changed byte; ingest SIGKILLed in the middle of a flush; a full queue and a closed
// client.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  formatUuid,
  imprintOf,
  parseVerifierKey,
  ReceiptError,
  verifyAggregatedReceipt,
  verifyReceipt,
} from '@msi/core';
import { nodeEd25519, nodeHasher } from '@msi/crypto-node';
import { createPool } from '@msi/postgres';
import { type Pipeline, startPipeline } from '@msi/stack';
import {
  createFreshDatabase,
  deleteNatsNamespace,
  type FreshDatabase,
  freePort,
  repositoryRoot,
  testServerUrls,
  uniquePrefix,
} from '@msi/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type Emitted } from './client.js';
import { MsiClientError } from './client-error.js';
import type { ClientOptions } from './client-options.js';
import { Events } from './event-input.js';
import { FileReceiptStore } from './file-receipt-store.js';

const API_KEY = 'client-test-key';
const prefix = uniquePrefix();
const crypto = { hasher: nodeHasher(), ed25519: nodeEd25519() };
let pipeline: Pipeline;
let database: FreshDatabase;
let workDir: string;
const logs: string[] = [];

beforeAll(async () => {
  const { natsUrl, databaseUrl } = testServerUrls();
  database = await createFreshDatabase(databaseUrl, 'client');
  workDir = await mkdtemp(join(tmpdir(), 'msi-client-'));
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
    verifierPort: await freePort(),
    apiKeys: [{ key: API_KEY, tenant: 'acme', principal: 'edge-gateway', roles: ['emitter', 'auditor'] }],
    onLine: ({ name, line }) => logs.push(`${name} | ${line}`),
  });
  await pipeline.waitUntilServing(30_000);
}, 90_000);

afterAll(async () => {
  await pipeline?.stop();
  await database?.drop();
  await deleteNatsNamespace(testServerUrls().natsUrl, prefix);
  if (workDir !== undefined) await rm(workDir, { recursive: true, force: true });
});

function options(dir: string, extra: Partial<ClientOptions> = {}): ClientOptions {
  return {
    ingest: pipeline.ingestAddress,
    verifier: pipeline.verifierAddress ?? '',
    apiKey: API_KEY,
    insecure: true,
    retry: { initialDelayMs: 20, maxDelayMs: 500, giveUpAfterMs: 60_000 },
    ...extra,
    receipts: { store: new FileReceiptStore(dir), logKeys: [pipeline.verifierKey], ...extra.receipts },
  };
}

const item = (n: number, tag: string) => imprintOf('sha256', new TextEncoder().encode(`${tag}-${n}`));
const trust = () => ({ logKeys: [parseVerifierKey(pipeline.verifierKey)] });

describe('@msi/client against the real stack', () => {
  it('emits individual and aggregated events in one session; every receipt verifies offline', async () => {
    const dir = join(workDir, 'session');
    const receipts: string[] = [];
    const client = createClient(
      options(dir, {
        aggregation: { intervalMs: 300 },
        receipts: { individual: true, onReceipt: (r) => receipts.push(r.json) },
      }),
    );
    const individual = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        client.emit(Events.access({ data: item(i, 'indexed'), actor: 'analyst' })),
      ),
    );
    const aggregated: Emitted[] = [];
    for (let i = 0; i < 300; i++) {
      aggregated.push(
        await client.emit(
          Events.store({ data: item(i, 'private'), actor: 'sensor', attributes: { n: String(i) } }),
          {
            mode: 'aggregated',
          },
        ),
      );
    }
    const writer = client.aggregateTemplate({ kind: 'STORE', actor: 'sensor', dataAlgorithm: 'sha256' });
    for (let i = 0; i < 700; i++) expect(writer.tryEmit(item(i, 'fast').digest)).toBeGreaterThanOrEqual(0);
    await client.close({ waitForReceipts: true });

    expect(individual.every((e) => e.mode === 'individual' && !e.duplicate)).toBe(true);
    expect(receipts).toHaveLength(20);
    for (const json of receipts) expect(verifyReceipt(json, trust(), crypto).event.tenant).toBe('acme');

    const reader = createClient(options(dir, { aggregation: {} }));
    const trees = await reader.trees();
    expect(trees.length).toBeGreaterThanOrEqual(1);
    expect(trees.every((t) => t.anchored)).toBe(true);
    let count = 0;
    let sample: Uint8Array | undefined;
    for (const { treeId } of trees) {
      const bundle = await reader.bundle(treeId);
      for (const { json } of bundle.receipts()) {
        const proven = verifyAggregatedReceipt(json, { ...trust(), strict: true }, crypto);
        expect(proven).toMatchObject({ tenant: 'acme', submitter: 'edge-gateway' });
        sample ??= json;
        count++;
      }
    }
    expect(count).toBe(1000);
    const first = aggregated[0];
    if (first?.mode !== 'aggregated') throw new Error('not aggregated');
    expect(formatUuid((await reader.bundle(first.treeId)).eventId(first.index))).toBe(
      formatUuid(first.eventId),
    );
    // any changed character of a receipt v2 makes it fail (strict, every key trusted)
    const text = new TextDecoder().decode(sample);
    for (let at = 0; at < text.length; at += 97) {
      const changed = text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1);
      expect(() => verifyAggregatedReceipt(changed, { ...trust(), strict: true }, crypto)).toThrow(
        ReceiptError,
      );
    }
    await reader.close();
  });

  it('loses nothing acked and duplicates nothing when ingest is SIGKILLed in the middle of a flush', async () => {
    const dir = join(workDir, 'kill');
    const client = createClient(
      options(dir, { batching: { maxEvents: 100, maxInFlight: 4 }, aggregation: { intervalMs: 200 } }),
    );
    const ingest = pipeline.process('ingest');
    let durable = 0;
    const emits = Array.from({ length: 3000 }, (_, i) =>
      client.emit(Events.store({ data: item(i, 'killed'), actor: 'etl' })).then((e) => {
        durable++;
        return e;
      }),
    );
    const aggregated = Array.from({ length: 2000 }, (_, i) =>
      client.emit(Events.store({ data: item(i, 'killed-agg'), actor: 'etl' }), { mode: 'aggregated' }),
    );
    while (durable < 300) await new Promise((resolve) => setTimeout(resolve, 5));
    ingest.signal('SIGKILL');
    await ingest.exited();
    const ackedBeforeKill = durable;
    expect(ackedBeforeKill).toBeLessThan(3000); // the kill came in the middle
    await new Promise((resolve) => setTimeout(resolve, 1000));
    ingest.start();
    const acks = await Promise.all(emits);
    await Promise.all(aggregated);
    await client.close({ waitForReceipts: true });
    expect(new Set(acks.map((a) => formatUuid(a.eventId))).size).toBe(3000);
    // (a batch stored before the kill whose answer was lost comes back `duplicate`: timing decides)

    const pool = createPool({ connectionString: database.url, applicationName: 'client-int-test' });
    try {
      const ids = acks.map((a) => Buffer.from(a.eventId));
      // every acked event is anchored exactly once, however often it was sent
      await expect
        .poll(
          async () => {
            const { rows } = await pool.query(
              `SELECT count(DISTINCT event_id) AS n, count(*) AS copies FROM verifier.sealed_events e
               JOIN verifier.round_seals rs ON rs.seal_seq = e.seal_seq WHERE e.event_id = ANY($1::bytea[])`,
              [ids],
            );
            return { n: Number(rows[0]?.n), copies: Number(rows[0]?.copies) };
          },
          { timeout: 30_000, interval: 500 },
        )
        .toEqual({ n: 3000, copies: 3000 });
    } finally {
      await pool.end();
    }
    const reader = createClient(options(dir, { aggregation: {} }));
    let aggregatedProven = 0;
    for (const { treeId, anchored } of await reader.trees()) {
      expect(anchored).toBe(true);
      const bundle = await reader.bundle(treeId);
      for (const { json } of bundle.receipts()) {
        verifyAggregatedReceipt(json, trust(), crypto);
        aggregatedProven++;
      }
    }
    expect(aggregatedProven).toBe(2000);
    await reader.close();
  }, 120_000);

  it('a full queue and a closed client fail with clear errors', async () => {
    const client = createClient(
      options(join(workDir, 'errors'), {
        queue: { maxEvents: 5, whenFull: 'reject' },
        batching: { lingerMs: 50 },
      }),
    );
    const burst = Array.from({ length: 8 }, (_, i) =>
      client.emit(Events.store({ data: item(i, 'burst'), actor: 'etl' })).then(
        () => 'durable',
        (error: unknown) => (error instanceof MsiClientError ? error.code : 'other'),
      ),
    );
    const outcomes = await Promise.all(burst);
    expect(outcomes.filter((o) => o === 'durable')).toHaveLength(5);
    expect(outcomes.filter((o) => o === 'QUEUE_FULL')).toHaveLength(3);
    await client.close();
    const closed = await client
      .emit(Events.store({ data: item(0, 'late'), actor: 'etl' }))
      .catch((e: unknown) => e);
    expect(closed).toBeInstanceOf(MsiClientError);
    expect((closed as MsiClientError).code).toBe('CLOSED');
    expect((closed as MsiClientError).message).toMatch(/closed/);
  });
});
