// `msi emit` against a real pipeline (NATS, Postgres, calendar, aggregators, ingest as processes).
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatImprint, imprintOf, isUuidV7, parseUuid } from '@msi/core';
import { useWorld } from '@msi/testkit';
import { describe, expect, it } from 'vitest';
import type { AckLine } from './format-ack.js';
import { runRecorded } from './memory-io.test-helper.js';

const API_KEY = 'test-key-cli-emitter';
const world = useWorld({
  label: 'cli_emit',
  pipeline: {
    verifier: true,
    apiKeys: [{ key: API_KEY, tenant: 'acme', principal: 'cli-test', roles: ['emitter', 'auditor'] }],
  },
});
const env = (): Record<string, string> => ({
  MSI_INGEST_ADDRESS: world.pipeline.ingestAddress,
  MSI_VERIFIER_ADDRESS: world.pipeline.verifierAddress ?? '',
  MSI_API_KEY: API_KEY,
});

function acksOf(stdout: string): AckLine[] {
  return stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as AckLine);
}

function expectDurable(ack: AckLine | undefined): asserts ack is Extract<AckLine, { durable: true }> {
  expect(ack).toMatchObject({ durable: true, duplicate: false });
  if (ack === undefined || !('durable' in ack)) throw new Error('not durable');
  expect(isUuidV7(parseUuid(ack.eventId))).toBe(true);
  expect(ack.leafHash).toMatch(/^[0-9a-f]{64}$/);
  expect(ack.shard).toBeGreaterThanOrEqual(0);
  expect(ack.shard).toBeLessThan(2);
}

describe('msi emit against a real pipeline', () => {
  it('emits one event from flags, hashing a data file locally', async () => {
    const dataFile = join(world.workDir, 'report.csv');
    await writeFile(dataFile, 'id,value\n1,42\n');
    const run = await runRecorded(
      [
        'emit',
        '--insecure',
        '--kind',
        'STORE',
        '--data-file',
        dataFile,
        '--actor',
        'alice',
        '--destination',
        's3/eu-west-1/bucket-a',
        '--attr',
        'classification=pii',
      ],
      { env: env() },
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const acks = acksOf(run.stdout);
    expect(acks).toHaveLength(1);
    expectDurable(acks[0]);
  });

  it('emits a JSON-lines file in batches with progress, and a retry with the same id is a duplicate', async () => {
    // the same content on the retry, its time included (another content under the same id is ID_CONFLICT)
    const occurredAt = new Date(Date.now() - 60_000).toISOString();
    const imprint = (i: number) =>
      formatImprint(imprintOf('sha256', new TextEncoder().encode(`object-${i}`)));
    const lines = Array.from({ length: 7 }, (_, i) =>
      JSON.stringify({
        kind: i === 6 ? 'PROCESS' : 'STORE',
        data: imprint(i),
        actor: 'etl',
        'occurred-at': occurredAt,
        ...(i === 6 ? { input: [imprint(0), imprint(1)], output: imprint(99) } : {}),
        attr: { batch: 'b1' },
      }),
    );
    const file = join(world.workDir, 'events.jsonl');
    await writeFile(file, `${lines.join('\n')}\n\n`);
    const run = await runRecorded(['emit', '--insecure', '--jsonl', file, '--batch-size', '3'], {
      env: env(),
    });
    expect(run.status).toBe(0);
    const acks = acksOf(run.stdout);
    expect(acks).toHaveLength(7);
    for (const ack of acks) expectDurable(ack);
    expect(new Set(acks.map((a) => a.eventId)).size).toBe(7);
    expect(run.stderr.trim().split('\n')).toEqual([
      'msi emit: 3 events submitted, 3 durable, 0 failed',
      'msi emit: 6 events submitted, 6 durable, 0 failed',
      'msi emit: 7 events submitted, 7 durable, 0 failed',
    ]);

    const first = acks[0];
    if (first === undefined || !('durable' in first)) throw new Error('no first ack');
    const retry = await runRecorded(['emit', '--insecure', '--jsonl', '-'], {
      env: env(),
      stdin: `${JSON.stringify({ 'event-id': first.eventId, kind: 'STORE', data: imprint(0), actor: 'etl', 'occurred-at': occurredAt, attr: { batch: 'b1' } })}\n`,
    });
    expect(retry.status).toBe(0);
    expect(acksOf(retry.stdout)).toEqual([{ ...first, duplicate: true }]);
  });

  it('names a rejected credential with exit 2', async () => {
    const run = await runRecorded(
      [
        'emit',
        '--insecure',
        '--api-key',
        'wrong-key',
        '--kind',
        'STORE',
        '--data',
        `sha256:${'00'.repeat(32)}`,
        '--actor',
        'a',
      ],
      { env: env() },
    );
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^msi emit: ingest did not accept the credentials/);
  });

  it('names the line and field of an event that breaks a rule, with exit 2', async () => {
    const run = await runRecorded(['emit', '--insecure', '--jsonl', '-'], {
      env: env(),
      stdin: `${JSON.stringify({ kind: 'PROCESS', data: `sha256:${'11'.repeat(32)}`, actor: 'etl' })}\n`,
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^msi emit: stdin:1: inputs: PROCESS needs at least one/);
  });

  it('--aggregate --receipts-dir: emits aggregated, waits for anchoring, writes a receipt v2 per event that msi verify accepts', async () => {
    const dir = join(world.workDir, 'aggregated-receipts');
    const lines = Array.from({ length: 5 }, (_, i) =>
      JSON.stringify({
        kind: 'STORE',
        data: formatImprint(imprintOf('sha256', new TextEncoder().encode(`agg-${i}`))),
        actor: 'sensor',
      }),
    );
    const run = await runRecorded(
      [
        'emit',
        '--insecure',
        '--aggregate',
        '--receipts-dir',
        dir,
        '--key',
        world.pipeline.verifierKey,
        '--jsonl',
        '-',
      ],
      { env: env(), stdin: `${lines.join('\n')}\n` },
    );
    expect(run.status).toBe(0);
    const outcomes = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(outcomes).toHaveLength(5);
    for (const o of outcomes) expect(o).toMatchObject({ aggregated: true });
    expect(run.stderr).toContain(`msi emit: 5 receipts written to ${dir}`);
    const files = (await readdir(dir)).filter((name) => name.endsWith('.json')).sort();
    expect(files).toEqual(outcomes.map((o) => `${o.eventId}.json`).sort());
    for (const name of files) {
      const verified = await runRecorded(['verify', join(dir, name), '--key', world.pipeline.verifierKey]);
      expect(verified.status).toBe(0);
      expect(verified.stdout).toMatch(
        /^VALID aggregated event \S+ {2}STORE acme sha256:\S+ {2}leaf \d of 5 of root event \S+ submitted by cli-test /,
      );
    }
    const text = await readFile(join(dir, files[0] ?? ''), 'utf8');
    const changed = join(dir, 'changed.txt');
    await writeFile(changed, text.replace('"leafIndex":', '"leafIndex":1'));
    const invalid = await runRecorded(['verify', changed, '--key', world.pipeline.verifierKey]);
    expect(invalid.status).toBe(1);
  });

  it('--receipts-dir without --aggregate writes the receipt v1 of each event; --aggregate alone is a usage error', async () => {
    const dir = join(world.workDir, 'individual-receipts');
    const run = await runRecorded(
      [
        'emit',
        '--insecure',
        '--receipts-dir',
        dir,
        '--kind',
        'ACCESS',
        '--data',
        `sha256:${'22'.repeat(32)}`,
        '--actor',
        'bob',
      ],
      { env: env() },
    );
    expect(run.status).toBe(0);
    const [ack] = acksOf(run.stdout);
    expectDurable(ack);
    const verified = await runRecorded([
      'verify',
      join(dir, `${ack.eventId}.json`),
      '--key',
      world.pipeline.verifierKey,
    ]);
    expect(verified.stdout).toMatch(new RegExp(`^VALID event ${ack.eventId}  ACCESS acme `));
    const usage = await runRecorded(
      [
        'emit',
        '--insecure',
        '--aggregate',
        '--kind',
        'STORE',
        '--data',
        `sha256:${'22'.repeat(32)}`,
        '--actor',
        'a',
      ],
      { env: env() },
    );
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('--aggregate needs --receipts-dir');
  });
});
