import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type DataEvent,
  formatImprint,
  formatUuid,
  imprintOf,
  mintUuidV7,
  parseReceiptJson,
  receiptToJson,
} from '@msi/core';
import { eventV1, verifierV1 } from '@msi/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCliWorld, logKey, otherLogKey, worldEvent } from './cli-world.test-helper.js';
import { type FakeVerifier, startFakeVerifier } from './fake-verifier.test-helper.js';
import { runRecorded } from './memory-io.test-helper.js';

const X = imprintOf('sha256', new TextEncoder().encode('item-x'));
const Y = imprintOf('sha256', new TextEncoder().encode('item-y'));
const lineageEvent = (i: number): DataEvent => {
  const base = worldEvent(i);
  if (i === 0) return { ...base, data: X };
  if (i === 1) {
    return {
      ...base,
      kind: 'TRANSFER',
      data: X,
      toTenant: 'beta',
      destination: { system: 'gcs', region: 'us', host: '' },
    };
  }
  if (i === 2) return { ...base, kind: 'PROCESS', data: Y, inputs: [X], outputs: [Y] };
  return base; // does not name X
};
const world = buildCliWorld(2, 2, lineageEvent);
const roles = ['data', 'data', 'input'];
let clean: FakeVerifier;
let dirty: FakeVerifier;
let dir: string;

const unanchored = verifierV1.HistoryEntry.fromPartial({
  event: eventV1.DataEvent.fromPartial({
    eventId: Buffer.from(mintUuidV7(1_764_000_009_000, new Uint8Array(16).fill(3))),
    kind: eventV1.EventKind.EVENT_KIND_ACCESS,
    tenant: 'acme',
    actor: 'bob',
    receivedAtUs: 1_764_000_009_000_000n,
  }),
  anchored: false,
  role: 'data',
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'msi-cli-verifier-'));
  clean = await startFakeVerifier({
    world,
    receipts: [0, 1, 2].map((i) => world.receipt(i, 1 + Math.floor(i / 2))),
    roleOf: (i) => roles[i] ?? 'data',
    extraEntries: [unanchored],
    pageSize: 2,
  });
  dirty = await startFakeVerifier({
    world,
    receipts: [
      world.receipt(0),
      { ...world.receipt(1), checkpoint: world.checkpointAt(2, otherLogKey) },
      world.receipt(3),
    ],
  });
});
afterAll(async () => {
  await clean?.stop();
  await dirty?.stop();
  await rm(dir, { recursive: true, force: true });
});

const insecure = () => ['--server', clean.address, '--insecure'];

describe('msi receipt', () => {
  it('writes the canonical receipt of the event, sending the API key', async () => {
    const id = formatUuid(worldEvent(1).eventId);
    const run = await runRecorded(['receipt', id, ...insecure()], { env: { MSI_API_KEY: 'k-auditor' } });
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(`${receiptToJson(world.receipt(1, 1))}\n`);
    expect(clean.authorizations.at(-1)).toBe('Bearer k-auditor');
  });

  it('needs --tiles and -o for --format scitt (a binary COSE receipt), and --tiles only there', async () => {
    const id = formatUuid(worldEvent(1).eventId);
    for (const args of [
      ['--format', 'scitt', '-o', join(dir, 'r.cose')],
      ['--format', 'scitt', '--tiles', 'http://127.0.0.1:1/'],
      ['--tiles', 'http://127.0.0.1:1/'],
    ]) {
      const run = await runRecorded(['receipt', id, ...args, ...insecure()]);
      expect(run.status, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(/--format scitt needs --tiles URL and -o FILE/);
    }
  });

  it('exits 2 for an unknown event and for a malformed id', async () => {
    const unknown = await runRecorded(['receipt', formatUuid(worldEvent(3).eventId), ...insecure()]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/^msi receipt: the verifier: not found: no such event/);
    const bad = await runRecorded(['receipt', 'abc', ...insecure()]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/"abc" is not an event id/);
  });

  it('exits 3 when the verifier cannot be reached', async () => {
    const run = await runRecorded([
      'receipt',
      formatUuid(worldEvent(1).eventId),
      '--server',
      '127.0.0.1:1',
      '--insecure',
    ]);
    expect(run.status).toBe(3);
    expect(run.stderr).toMatch(/cannot reach the verifier at 127\.0\.0\.1:1/);
  });
});

describe('msi extend --server', () => {
  it("extends a receipt to the verifier's newest checkpoint and checks it", async () => {
    const path = join(dir, 'r.json');
    await writeFile(path, receiptToJson(world.receipt(0, 1)));
    const run = await runRecorded(['extend', path, ...insecure(), '--key', logKey.verifierKey]);
    expect(run.status).toBe(0);
    const extended = parseReceiptJson(run.stdout);
    expect(extended.extension?.checkpoint).toBe(world.checkpointAt(2));
    const untrusted = await runRecorded(['extend', path, ...insecure(), '--key', otherLogKey.verifierKey]);
    expect(untrusted.status).toBe(1);
    expect(untrusted.stderr).toMatch(/^INVALID UNTRUSTED_KEY/);
  });
});

describe('msi history', () => {
  it('prints the chain of custody over pages, each anchored row verified, with its lineage', async () => {
    const run = await runRecorded(['history', formatImprint(X), ...insecure(), '--key', logKey.verifierKey]);
    expect(run.status).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(/^RECEIVED\s+KIND\s+ROLE\s+TENANT\s+ACTOR\s+EVENT\s+ROUND\s+STATUS\s+DETAIL$/);
    const rowOf = (i: number) => lines.find((line) => line.includes(formatUuid(worldEvent(i).eventId))) ?? '';
    expect(rowOf(0)).toMatch(/ STORE\s+data\s+acme\s+alice\s+\S+\s+0\s+VALID/);
    expect(rowOf(1)).toMatch(
      / TRANSFER\s+data\s+acme\s+alice\s+\S+\s+0\s+VALID\s+s3\/eu-west-1 -> gcs\/us to tenant beta$/,
    );
    expect(rowOf(2)).toMatch(/ PROCESS\s+input\s+acme\s+alice\s+\S+\s+1\s+VALID\s+1 in -> 1 out$/);
    expect(lines.some((line) => / ACCESS\s+data\s+acme\s+bob\s+\S+\s+-\s+UNANCHORED/.test(line))).toBe(true);
    expect(run.stdout).toContain(
      `PROCESS  ${formatUuid(worldEvent(2).eventId)}  ${formatImprint(X)} -> ${formatImprint(Y)}`,
    );
    expect(run.stdout).toContain(
      `TRANSFER ${formatUuid(worldEvent(1).eventId)}  ${formatImprint(X)}  acme -> beta`,
    );
  });

  it('marks rows that do not verify or do not name the item, exits 1, and prints JSON', async () => {
    const run = await runRecorded([
      'history',
      formatImprint(X),
      '--server',
      dirty.address,
      '--insecure',
      '--key',
      logKey.verifierKey,
      '--json',
    ]);
    expect(run.status).toBe(1);
    const history = JSON.parse(run.stdout) as {
      ok: boolean;
      entries: { status: string; code?: string; eventId: string }[];
    };
    expect(history.ok).toBe(false);
    expect(history.entries.map((e) => [e.status, e.code])).toEqual([
      ['VALID', undefined],
      ['INVALID', 'UNTRUSTED_KEY'],
      ['INVALID', 'NOT_IN_EVENT'],
    ]);
    expect(history.entries[0]?.eventId).toBe(formatUuid(worldEvent(0).eventId));
  });

  it('exits 2 for an argument that is not an imprint', async () => {
    const run = await runRecorded(['history', 'sha256:xyz', ...insecure(), '--key', logKey.verifierKey]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/is not a data imprint/);
  });
});
