// Supervision as `npm start` / `msi up` run it: the dev stack with its embedded nats-server and
// Postgres (under keepers) and every service supervised. Each of ingest, an aggregator, the
// calendar, the verifier and the alerter is SIGKILLed in turn and serves again within 10 s (gRPC
// health SERVING; for the aggregator and the calendar, events submitted after the kill anchored).
// Then the embedded Postgres and, separately, the embedded NATS are SIGKILLed: the stack starts
// them again on the same port and data, and the pipeline recovers — an event emitted afterwards
// gets a receipt that verifies, and no service is left down. (A service that exits on losing its
// database or bus is started again by the same supervision; one that reconnects need not be.)
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, Events, formatUuid, hashBytes } from '@msi/client';
import {
  type DevStack,
  type SupervisionEvent,
  startDevStack,
  supervisionLineText,
  waitForHealth,
} from '@msi/stack';
import { eventually, freePort, repositoryRoot } from '@msi/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMsi } from './run-msi.js';

/** How soon a killed service must serve again (the bound). */
const BACK_WITHIN_MS = 10_000;

let dataDir: string;
let stack: DevStack;
const logs: string[] = [];
/** What the console printed about supervision (the dev console's own formatting). */
const consoleLines: string[] = [];
const events: SupervisionEvent[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'msi-supervision-'));
  stack = await startDevStack({
    root: repositoryRoot(),
    dataDir,
    ingestPort: await freePort(),
    verifierPort: await freePort(),
    alerterPort: await freePort(),
    onLine: ({ name, line }) => logs.push(`${name} | ${line}`),
    say: (line) => logs.push(`stack | ${line}`),
    onSupervision: (event) => {
      events.push(event);
      const line = supervisionLineText(event, { color: undefined });
      consoleLines.push(line);
      logs.push(line);
    },
  });
  await stack.pipeline.waitUntilServing(90_000);
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
});

const tail = () => logs.slice(-60).join('\n');

function acmeKey(): string {
  const found = stack.apiKeys.find((k) => k.tenant === 'acme');
  if (found === undefined) throw new Error('no dev key of acme');
  return found.key;
}

function storeEvent(label: string) {
  return Events.store({
    data: hashBytes(`${label} ${Date.now()}`),
    actor: 'supervision-test',
    destination: { system: 's3', region: 'eu-west-1', host: 'bucket-a' },
  });
}

/** Kills `name` with SIGKILL; resolves with the time of the kill and the pid it had. */
function kill(name: string): { at: number; pid: number } {
  const child = stack.pipeline.process(name);
  const pid = child.pid;
  if (pid === undefined || !child.running) throw new Error(`${name} is not running`);
  const at = performance.now();
  child.signal('SIGKILL');
  return { at, pid };
}

/** Waits until `name` runs as a new process (another pid) and the console said it died and came back. */
async function restarted(name: string, oldPid: number, deadline: number): Promise<void> {
  await eventually(
    `${name} running again as a new process`,
    () => {
      const child = stack.pipeline.process(name);
      return child.running && child.pid !== oldPid;
    },
    { timeoutMs: Math.max(0, deadline - performance.now()), detail: tail },
  );
  const died = events.find((e) => e.name === name && e.kind === 'died');
  expect(died).toMatchObject({ exit: { code: null, signal: 'SIGKILL' } });
  expect(consoleLines.join('\n')).toMatch(
    new RegExp(`^${name} +\\| ! died \\(signal SIGKILL\\) after .* — restarting in \\d+ ms`, 'm'),
  );
  await eventually('the console to say it restarted', () =>
    consoleLines.some((l) => new RegExp(`^${name} +\\| ! restarted \\(pid \\d+\\)`).test(l)),
  );
}

/** The CLI's environment against the stack, with acme's key. */
function msiEnv(): Record<string, string> {
  return {
    MSI_INGEST_ADDRESS: stack.pipeline.ingestAddress,
    MSI_VERIFIER_ADDRESS: stack.pipeline.verifierAddress ?? '',
    MSI_API_KEY: acmeKey(),
  };
}

/**
 * Submits events (spread over the shards) and waits until every one is anchored: the verifier
 * serves its receipt, which it does only once the event's round is anchored.
 */
async function anchoredBy(deadline: number, label: string): Promise<void> {
  const left = () => ({ timeoutMs: Math.max(0, deadline - performance.now()), detail: tail });
  // the SDK retries what ingest did not take (with the same event ids) until the deadline
  const client = createClient({
    ingest: stack.pipeline.ingestAddress,
    apiKey: acmeKey(),
    insecure: true,
    deadlineMs: 2000,
    retry: { giveUpAfterMs: Math.max(1000, Math.round(deadline - performance.now())) },
  });
  try {
    const acks = await Promise.all(
      Array.from({ length: 8 }, (_, i) => client.emit(storeEvent(`${label}-${i}`))),
    );
    expect(acks.map((a) => a.mode)).toEqual(acks.map(() => 'individual'));
    const pending = new Set(acks.map((a) => formatUuid(a.eventId)));
    await eventually(
      `the ${label} events anchored`,
      async () => {
        for (const id of [...pending]) {
          const fetched = await runMsi(['receipt', id, '--insecure'], msiEnv());
          if (fetched.status === 0) pending.delete(id);
        }
        if (pending.size > 0) throw new Error(`not anchored yet: ${[...pending].join(', ')}`);
        return true;
      },
      left(),
    );
  } finally {
    await client.close().catch(() => undefined);
  }
}

/** Emits an event with the CLI and fetches its receipt until it verifies with the calendar's key. */
async function receiptVerifies(label: string, timeoutMs: number): Promise<string> {
  const env = msiEnv();
  const data = join(dataDir, `${label}.txt`);
  await writeFile(data, `${label} ${Date.now()}\n`);
  const eventId = await eventually(
    `ingest to take the ${label} event`,
    async () => {
      const emitted = await runMsi(
        ['emit', '--insecure', '--kind', 'STORE', '--data-file', data, '--actor', 'supervision-test'],
        env,
      );
      return emitted.status === 0
        ? (JSON.parse(emitted.stdout.trim()) as { eventId: string }).eventId
        : undefined;
    },
    { timeoutMs, detail: tail },
  );
  const file = join(dataDir, `${label}-receipt.json`);
  return eventually(
    `a receipt of the ${label} event that verifies`,
    async () => {
      const fetched = await runMsi(['receipt', eventId, '--insecure', '--wait', '--timeout', '10'], env);
      if (fetched.status !== 0) return undefined;
      await writeFile(file, fetched.stdout);
      const verified = await runMsi(['verify', file, '--key', stack.pipeline.verifierKey], env);
      return verified.status === 0 ? verified.stdout : undefined;
    },
    { timeoutMs, detail: tail },
  );
}

/** Every service runs and the gRPC ones serve: none was left down. */
async function everyServiceBack(timeoutMs: number): Promise<void> {
  await eventually(
    'every service running',
    () => [...stack.pipeline.processes.values()].every((p) => p.running),
    { timeoutMs, detail: tail },
  );
  await stack.pipeline.waitUntilServing(timeoutMs);
}

describe('npm start restarts what dies', () => {
  it.each([
    ['ingest', () => stack.pipeline.ingestAddress],
    ['verifier', () => stack.pipeline.verifierAddress ?? ''],
    ['alerter', () => stack.pipeline.alerterAddress ?? ''],
  ])('a SIGKILLed %s serves again within 10 s', async (name, address) => {
    const killed = kill(name);
    const deadline = killed.at + BACK_WITHIN_MS;
    await restarted(name, killed.pid, deadline);
    await waitForHealth(address(), Math.max(1, deadline - performance.now()));
    expect(performance.now() - killed.at).toBeLessThan(BACK_WITHIN_MS);
  });

  it.each(['aggregator-1', 'calendar'])(
    'a SIGKILLed %s is back within 10 s: events submitted after the kill are anchored',
    async (name) => {
      const killed = kill(name);
      const deadline = killed.at + BACK_WITHIN_MS;
      await anchoredBy(deadline, `after-${name}`);
      await restarted(name, killed.pid, deadline);
      expect(performance.now() - killed.at).toBeLessThan(BACK_WITHIN_MS);
    },
  );

  it.each([
    ['postgres', () => stack.embedded.postgres],
    ['nats', () => stack.embedded.nats],
  ])(
    'a SIGKILLed embedded %s is started again on the same port; the pipeline recovers',
    async (name, server) => {
      const embedded = server();
      if (embedded === undefined) throw new Error(`the stack runs no embedded ${name}`);
      const oldPid = embedded.serverPid;
      const from = events.length;
      process.kill(oldPid, 'SIGKILL');
      await eventually(
        `${name} restarted`,
        () => events.slice(from).some((e) => e.name === name && e.kind === 'restarted'),
        { timeoutMs: 60_000, detail: tail },
      );
      expect(embedded.serverPid).not.toBe(oldPid);
      expect(events.slice(from).find((e) => e.name === name)).toMatchObject({ kind: 'died' });
      expect(consoleLines.some((l) => new RegExp(`^${name} +\\| ! died .* — restarting in`).test(l))).toBe(
        true,
      );

      const verified = await receiptVerifies(`after-${name}`, 90_000);
      expect(verified).toMatch(/^VALID event /);
      await everyServiceBack(60_000);
      // No service was given up on while its server was away.
      expect(events.filter((e) => e.kind === 'left-down')).toEqual([]);
    },
    240_000,
  );
});
