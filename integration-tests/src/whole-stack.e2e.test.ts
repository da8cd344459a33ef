// The whole system started the way `msi up` / `npm start` start it — embedded nats-server and
// Postgres under one data directory, the five services, a witness — driven with the real `msi` CLI:
// emit → anchored → receipt → offline verify (witness quorum) → history → alert. Then the whole
// stack is stopped and started again on the same data directory: every receipt from before stays
// valid and extends to the new checkpoint (the calendar is consistent with the one before the
// restart), the witness keeps cosigning, alerts are kept and not raised twice.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DevStack, startDevStack } from '@msi/stack';
import { eventually, freePort, repositoryRoot } from '@msi/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MsiRun, runMsi } from './run-msi.js';

let dataDir: string;
let stack: DevStack | undefined;
const logs: string[] = [];

async function start(): Promise<DevStack> {
  const started = await startDevStack({
    root: repositoryRoot(),
    dataDir,
    ingestPort: await freePort(),
    verifierPort: await freePort(),
    alerterPort: await freePort(),
    roundIntervalMs: 500,
    onLine: ({ name, line }) => logs.push(`${name} | ${line}`),
    say: (line) => logs.push(`stack | ${line}`),
  });
  await started.pipeline.waitUntilServing(90_000);
  return started;
}

function keyOf(s: DevStack, tenant: string): string {
  const found = s.apiKeys.find((k) => k.tenant === tenant);
  if (found === undefined) throw new Error(`no dev key of ${tenant}`);
  return found.key;
}

async function msi(args: readonly string[], key?: string): Promise<MsiRun> {
  const s = stack;
  if (s === undefined) throw new Error('the stack is not running');
  return runMsi(args, {
    MSI_INGEST_ADDRESS: s.pipeline.ingestAddress,
    MSI_VERIFIER_ADDRESS: s.pipeline.verifierAddress ?? '',
    MSI_ALERTER_ADDRESS: s.pipeline.alerterAddress ?? '',
    MSI_API_KEY: key ?? keyOf(s, 'acme'),
  });
}

async function emit(args: readonly string[]): Promise<string> {
  const emitted = await msi(['emit', '--insecure', ...args]);
  expect(emitted.status, emitted.stderr).toBe(0);
  return (JSON.parse(emitted.stdout.trim()) as { eventId: string }).eventId;
}

async function alertsNaming(eventId: string): Promise<Record<string, unknown>[]> {
  const s = stack as DevStack;
  const listed = await msi(['alerts', '--insecure', '--json', '--limit', '500'], s.operatorKey.key);
  expect(listed.status, listed.stderr).toBe(0);
  return listed.stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((a) => (a.event_ids as string[]).includes(eventId));
}

/** Waits up to 30 s, with the stack's last lines when it times out. */
const waiting = { timeoutMs: 30_000, detail: () => logs.slice(-40).join('\n') };

/** Fetches a receipt until it verifies with the calendar key and a quorum of 1 of the witness. */
async function cosignedReceipt(eventId: string, file: string): Promise<string> {
  const s = stack as DevStack;
  const witness = s.pipeline.witnesses[0]?.verifierKey ?? '';
  return eventually(
    `a cosigned receipt of ${eventId}`,
    async () => {
      const fetched = await msi(['receipt', eventId, '--insecure', '--wait', '--timeout', '30']);
      if (fetched.status !== 0) return undefined;
      await writeFile(file, fetched.stdout);
      const verified = await msi([
        'verify',
        file,
        '--key',
        s.pipeline.verifierKey,
        '--witness',
        witness,
        '--quorum',
        '1',
      ]);
      return verified.status === 0 ? verified.stdout : undefined;
    },
    waiting,
  );
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'msi-whole-stack-'));
  stack = await start();
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
});

describe('the whole stack as msi up starts it', () => {
  let storeId = '';
  let violationId = '';
  let verifierKey = '';
  let sizeBefore = 0;
  const receiptFile = () => join(dataDir, 'receipt-before.json');

  it('emit → anchored → receipt → offline verify with a witness → history → alert', async () => {
    const data = join(dataDir, 'customers.csv');
    await writeFile(data, `customer export ${Date.now()}\n`);
    storeId = await emit([
      '--kind',
      'STORE',
      '--data-file',
      data,
      '--actor',
      'crm-export',
      '--destination',
      's3/eu-west-1/raw',
      '--attr',
      'classification=pii',
    ]);
    const verified = await cosignedReceipt(storeId, receiptFile());
    expect(verified).toMatch(new RegExp(`^VALID event ${storeId} +STORE acme sha256:`));
    expect(verified).toMatch(/witnesses: msi\.dev\/witness@/);
    sizeBefore = Number(/checkpoint \S+@(\d+)/.exec(verified)?.[1]);
    expect(sizeBefore).toBeGreaterThan(0);
    verifierKey = (stack as DevStack).pipeline.verifierKey;

    const imprint = /(sha256:[0-9a-f]{64})/.exec(verified)?.[1] ?? '';
    violationId = await emit([
      '--kind',
      'TRANSFER',
      '--data',
      imprint,
      '--actor',
      'backup-sync',
      '--source',
      's3/eu-west-1/raw',
      '--destination',
      's3/us-east-1/backup',
      '--attr',
      'classification=pii',
    ]);
    const history = await eventually(
      'both events in the history',
      async () => {
        const h = await msi(['history', imprint, '--insecure', '--key', verifierKey]);
        return h.status === 0 && h.stdout.includes(violationId) && h.stdout.includes(storeId)
          ? h.stdout
          : undefined;
      },
      waiting,
    );
    expect(history).toContain('TRANSFER');

    const [alert] = await eventually(
      'the pii alert',
      async () => {
        const found = await alertsNaming(violationId);
        return found.length > 0 ? found : undefined;
      },
      waiting,
    );
    expect(alert?.rule).toBe('pii-outside-allowed-regions');
    expect(alert?.severity).toBe('high');
    expect(alert?.tenant).toBe('acme');
  }, 120_000);

  it('after a restart of everything: old receipts extend to the new checkpoint, the witness still cosigns, alerts are kept once', async () => {
    await (stack as DevStack).stop();
    stack = undefined;
    stack = await start();
    expect(stack.pipeline.verifierKey).toBe(verifierKey);

    // New events are anchored after the restart, on top of the old calendar.
    const after = join(dataDir, 'after.csv');
    await writeFile(after, `after the restart ${Date.now()}\n`);
    const newId = await emit([
      '--kind',
      'STORE',
      '--data-file',
      after,
      '--actor',
      'crm-export',
      '--destination',
      's3/eu-west-1/raw',
    ]);
    const verifiedNew = await cosignedReceipt(newId, join(dataDir, 'receipt-after.json'));
    expect(Number(/round (\d+)/.exec(verifiedNew)?.[1])).toBeGreaterThanOrEqual(sizeBefore);

    // The receipt from before verifies as it is, and extends to the newest checkpoint: the
    // consistency proof from the checkpoint it carries (before the restart) checks out.
    const old = await msi(['verify', receiptFile(), '--key', verifierKey]);
    expect(old.status, old.stderr).toBe(0);
    const extendedFile = join(dataDir, 'receipt-before-extended.json');
    const extended = await msi([
      'extend',
      receiptFile(),
      '--insecure',
      '--key',
      verifierKey,
      '-o',
      extendedFile,
    ]);
    expect(extended.status, extended.stdout + extended.stderr).toBe(0);
    const reverified = await msi(['verify', extendedFile, '--key', verifierKey]);
    expect(reverified.status, reverified.stderr).toBe(0);
    const extendedTo = Number(/extended to @(\d+)/.exec(reverified.stdout)?.[1]);
    expect(extendedTo).toBeGreaterThan(sizeBefore);

    // The alert raised before the restart is still there, once; the alerter did not raise it again.
    const kept = await alertsNaming(violationId);
    expect(kept.map((a) => a.rule)).toEqual(['pii-outside-allowed-regions']);
    const storeAlerts = await alertsNaming(storeId);
    expect(storeAlerts).toEqual([]);
  }, 240_000);
});
