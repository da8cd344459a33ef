// OpenLineage in (issue 19): the spec's own example RunEvents (a dbt run, a Spark job, the minimal
// COMPLETE; services/ingest/testdata/openlineage/ORIGIN.md) posted to ingest's OpenLineage endpoint of
// the real pipeline show up in `msi history` with their lineage, and their receipts verify.
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { eventually, useWorld } from '@msi/testkit';
import { describe, expect, it } from 'vitest';
import { type MsiRun, runMsi } from './run-msi.js';

const ACME = 'openlineage-acme-key';
const AUDITOR = 'openlineage-auditor-key';
const world = useWorld({
  label: 'openlineage',
  pipeline: {
    verifier: true,
    openLineage: true,
    apiKeys: [
      { key: ACME, tenant: 'acme', principal: 'dbt-runner', roles: ['emitter', 'auditor'] },
      { key: AUDITOR, tenant: 'acme', principal: 'acme-audit', roles: ['auditor'] },
    ],
  },
});

type Example = 'dbt-run-complete' | 'dbt-run-start' | 'spark-job' | 'minimal-complete';
type Json = Record<string, unknown>;

function example(name: Example): Json {
  const url = new URL(`../../services/ingest/testdata/openlineage/${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as Json;
}

/** The example as sent now: the examples' own dates are years old. */
const now = (name: Example, overrides: Json = {}): Json => ({
  ...example(name),
  eventTime: new Date().toISOString(),
  ...overrides,
});

const contentHash = (dataset: unknown): string =>
  (dataset as { facets: { msi_contentHash: { imprint: string } } }).facets.msi_contentHash.imprint;

interface Answer {
  readonly status: number;
  readonly body: Json & {
    events?: { eventId: string; kind: string; part: string; duplicate?: boolean }[];
    code?: string;
    field?: string;
    message?: string;
  };
}

async function post(
  body: string | Json,
  options: { key?: string | null; type?: string } = {},
): Promise<Answer> {
  const url = world.pipeline.openLineageUrl;
  if (url === undefined) throw new Error('no OpenLineage endpoint');
  const key = options.key === undefined ? ACME : options.key;
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': options.type ?? 'application/json',
      ...(key === null ? {} : { authorization: `Bearer ${key}` }),
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Answer['body'] };
}

const msi = (args: readonly string[]): Promise<MsiRun> =>
  runMsi(args, {
    MSI_INGEST_ADDRESS: world.pipeline.ingestAddress,
    MSI_VERIFIER_ADDRESS: world.pipeline.verifierAddress ?? '',
    MSI_API_KEY: ACME,
  });

/** `msi history` of an imprint once the row of `eventId` is anchored and its receipt verified (VALID). */
async function historyShowing(imprint: string, eventId: string): Promise<MsiRun> {
  let last: MsiRun | undefined;
  try {
    return await eventually(`event ${eventId} VALID in the history of ${imprint}`, async () => {
      last = await msi(['history', imprint, '--insecure', '--key', world.pipeline.verifierKey]);
      const row = last.stdout.split('\n').find((line) => line.includes(eventId));
      return last.status === 0 && row !== undefined && / VALID( |$)/.test(row) ? last : undefined;
    });
  } catch (error: unknown) {
    throw new Error(`${String(error)}\nlast msi history: ${JSON.stringify(last)}`, { cause: error });
  }
}

describe('OpenLineage in (ingest POST /api/v1/lineage, real pipeline and verifier)', () => {
  it('anchors the dbt run as a PROCESS: once, idempotently, with its lineage in msi history and a valid receipt', async () => {
    const run = now('dbt-run-complete');
    const first = await post(run);
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body.events).toHaveLength(1);
    const event = first.body.events?.[0];
    expect(event).toMatchObject({ kind: 'PROCESS', part: '1/1', duplicate: false });
    const again = await post(run);
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.body.events?.[0]).toMatchObject({ eventId: event?.eventId, duplicate: true });

    const input = contentHash((run.inputs as unknown[])[0]);
    const output = contentHash((run.outputs as unknown[])[0]);
    const history = await historyShowing(output, event?.eventId ?? '?');
    expect(history.stdout).toMatch(new RegExp(`PROCESS .*${event?.eventId} .*VALID`));
    expect(history.stdout).toContain(`PROCESS  ${event?.eventId}  ${input} -> ${output}`);

    const receipt = await msi(['receipt', event?.eventId ?? '', '--insecure', '--wait', '--timeout', '30']);
    expect(receipt.status, receipt.stderr).toBe(0);
    const file = join(world.workDir, 'dbt-receipt.json');
    await writeFile(file, receipt.stdout);
    const verified = await msi(['verify', file, '--key', world.pipeline.verifierKey]);
    expect(verified.status, verified.stdout + verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(new RegExp(`^VALID event ${event?.eventId} +PROCESS acme sha256:`));
  });

  it('accepts the Spark job START without anchoring it and anchors its COMPLETE', async () => {
    const start = await post(now('spark-job'));
    expect(start.status, JSON.stringify(start.body)).toBe(202);
    expect(start.body).toMatchObject({ eventType: 'START', events: [] });
    const dbtStart = await post(now('dbt-run-start'));
    expect(dbtStart.status).toBe(202);

    const complete = now('spark-job', { eventType: 'COMPLETE' });
    const anchored = await post(complete);
    expect(anchored.status, JSON.stringify(anchored.body)).toBe(201);
    const event = anchored.body.events?.[0];
    expect(event).toMatchObject({ kind: 'PROCESS', duplicate: false });
    const input = contentHash((complete.inputs as unknown[])[0]);
    const output = contentHash((complete.outputs as unknown[])[0]);
    const history = await historyShowing(input, event?.eventId ?? '?');
    expect(history.stdout).toContain(`PROCESS  ${event?.eventId}  ${input} -> ${output}`);
  });

  it('anchors the minimal COMPLETE (an output, no input) as a STORE of that output', async () => {
    const run = now('minimal-complete');
    const answer = await post(run);
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    expect(answer.body.events?.map((e) => e.kind)).toEqual(['STORE']);
    const output = contentHash((run.outputs as unknown[])[0]);
    const history = await historyShowing(output, answer.body.events?.[0]?.eventId ?? '?');
    expect(history.stdout).toMatch(/ STORE .*VALID/);
  });

  it('answers a COMPLETE resent with other content 409 ID_CONFLICT: the first is what is anchored', async () => {
    const run = now('dbt-run-complete', { run: { runId: randomUUID() } });
    expect((await post(run)).status).toBe(201);
    const altered = structuredClone(run);
    const outputs = altered.outputs as { facets: { msi_contentHash: { imprint: string } } }[];
    if (outputs[0] !== undefined) outputs[0].facets.msi_contentHash.imprint = `sha256:${'ab'.repeat(32)}`;
    const conflict = await post(altered);
    expect(conflict.status, JSON.stringify(conflict.body)).toBe(409);
    expect(conflict.body.code).toBe('ID_CONFLICT');
  });

  it('splits a job wider than one event into a chain whose every input → output pair is in msi history', async () => {
    const base = now('dbt-run-complete', { run: { runId: randomUUID() } });
    const facetOf = (dataset: unknown) => (dataset as { facets: Json }).facets.msi_contentHash as Json;
    const template = (base.inputs as unknown[])[0];
    const inputs = Array.from({ length: 40 }, (_, i) => ({
      namespace: 'bigquery',
      name: `speedy-vim-308516.dbt_test1.source_${i}`,
      facets: {
        msi_contentHash: {
          ...facetOf(template),
          imprint: `sha256:${createHash('sha256').update(`wide input ${i}`).digest('hex')}`,
        },
      },
    }));
    const answer = await post({ ...base, inputs });
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    expect(answer.body.events?.map((e) => [e.kind, e.part])).toEqual([
      ['PROCESS', '1/2'],
      ['PROCESS', '2/2'],
    ]);
    const output = contentHash((base.outputs as unknown[])[0]);
    const [first, second] = answer.body.events ?? [];
    await historyShowing(output, first?.eventId ?? '?');
    const history = await historyShowing(output, second?.eventId ?? '?');
    const lineage = history.stdout.split('\n').filter((line) => line.trim().startsWith('PROCESS '));
    const shown = lineage.flatMap((line) => line.split(/\s+/).filter((word) => word.startsWith('sha256:')));
    for (const input of inputs) expect(shown).toContain(input.facets.msi_contentHash.imprint);
  });

  it('refuses, naming the field: a dataset without msi_contentHash, an old eventTime, bad bodies', async () => {
    const unhashed = now('dbt-run-complete');
    const inputs = unhashed.inputs as { facets: Json }[];
    delete inputs[0]?.facets.msi_contentHash;
    const missing = await post(unhashed);
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({
      code: 'CONTENT_HASH_MISSING',
      field: 'inputs[0].facets.msi_contentHash',
    });
    expect(missing.body.message).toContain('inputs[0].facets.msi_contentHash');

    // The example as published (2021): older than ingest accepts (docs/OPENLINEAGE.md, "Old runs").
    const old = await post(example('dbt-run-complete'));
    expect(old.status).toBe(400);
    expect(old.body).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'eventTime' });

    expect((await post('{"eventType": "COMPLETE",')).body).toMatchObject({ code: 'BODY_NOT_JSON' });
    expect((await post(now('dbt-run-complete', { run: { runId: 'run-1' } }))).body).toMatchObject({
      code: 'INVALID_FIELD',
      field: 'run.runId',
    });
    const text = await post(now('dbt-run-complete'), { type: 'text/plain' });
    expect([text.status, text.body.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    const large = await post(now('dbt-run-complete', { padding: 'x'.repeat(1024 * 1024) }));
    expect([large.status, large.body.code]).toEqual([413, 'BODY_TOO_LARGE']);
    // a body well past the socket's buffers: the client reads the 413, never a reset connection
    for (let i = 0; i < 3; i++) {
      const larger = await post(now('dbt-run-complete', { padding: 'x'.repeat(4 * 1024 * 1024) }));
      expect([larger.status, larger.body.code]).toEqual([413, 'BODY_TOO_LARGE']);
    }
    const url = world.pipeline.openLineageUrl ?? '';
    const get = await fetch(url, { headers: { authorization: `Bearer ${ACME}` } });
    expect([get.status, ((await get.json()) as Json).code]).toEqual([405, 'METHOD_NOT_ALLOWED']);
    const elsewhere = await fetch(url.replace('/api/v1/lineage', '/api/v2/lineage'), { method: 'POST' });
    expect([elsewhere.status, ((await elsewhere.json()) as Json).code]).toEqual([404, 'NOT_FOUND']);
  });

  it('authenticates like ingest: no key or an unknown key is 401, a key without the emitter role 403', async () => {
    const body = now('dbt-run-complete');
    const none = await post(body, { key: null });
    expect([none.status, none.body.code]).toEqual([401, 'UNAUTHENTICATED']);
    const unknown = await post(body, { key: 'not-a-key' });
    expect([unknown.status, unknown.body.code]).toEqual([401, 'UNAUTHENTICATED']);
    const auditor = await post(body, { key: AUDITOR });
    expect([auditor.status, auditor.body.code]).toEqual([403, 'PERMISSION_DENIED']);
  });
});
