import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { decodeEvent } from '@msi/core';
import { claimsStreamFor } from '@msi/nats';
import type { eventV1, ingestV1 } from '@msi/proto';
import { eventually, repositoryRoot, useWorld } from '@msi/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterEach, describe, expect, it } from 'vitest';
import {
  clientFor,
  durableOf,
  KEYS,
  sampleEvent,
  snapshot,
  submitBatch,
  testEnv,
  writeCredentials,
} from './ingest.test-helper.js';

const world = useWorld({ label: 'ingest_restart' });
const { natsUrl, prefix } = world;
const credentials = writeCredentials();
const running: ChildProcess[] = [];

interface Started {
  readonly child: ChildProcess;
  readonly port: number;
  readonly instanceId: string;
  readonly exited: Promise<number | null>;
}

/** Runs `node services/ingest/dist/main.js` and waits for its "ingest serving" log line. */
async function startProcess(extra: Record<string, string> = {}): Promise<Started> {
  const env = {
    ...process.env,
    ...testEnv(natsUrl, prefix, credentials, { MSI_LOG_LEVEL: 'info', ...extra }),
  };
  const child = spawn(process.execPath, [join(repositoryRoot(), 'services/ingest/dist/main.js')], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const up = await new Promise<{ grpc: string; instanceId: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ingest did not start within 15 s: ${output}`)), 15_000);
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      for (const line of buffered.split('\n').slice(0, -1)) {
        const record = JSON.parse(line) as { msg: string; grpc: string; instanceId: string };
        if (record.msg === 'ingest serving') {
          clearTimeout(timer);
          resolve(record);
        }
      }
      buffered = buffered.slice(buffered.lastIndexOf('\n') + 1);
    });
    void exited.then((code) => reject(new Error(`ingest exited with ${code}: ${output}`)));
  });
  return { child, port: Number(up.grpc.split(':').pop()), instanceId: up.instanceId, exited };
}

afterEach(() => {
  for (const child of running.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

async function copiesOf(events: readonly eventV1.DataEvent[]): Promise<number[]> {
  const { events: stored } = await snapshot(natsUrl, prefix);
  const ids = stored.map((bytes) => Buffer.from(decodeEvent(bytes).eventId).toString('hex'));
  return events.map((event) => ids.filter((id) => id === event.eventId.toString('hex')).length);
}

const leafHashes = (acks: readonly ingestV1.EventAck[]) =>
  acks.map((ack) => durableOf(ack).leafHash.toString('hex'));

describe('ingest as a process', () => {
  it('answers resubmissions after a restart (SIGKILL) with the original acks, and anchors once', async () => {
    const one = await startProcess();
    const events = Array.from({ length: 100 }, () => sampleEvent());
    const clientOne = clientFor(one.port, KEYS.acme);
    const original = await submitBatch(clientOne, events);
    clientOne.close();
    one.child.kill('SIGKILL');
    await one.exited;

    const two = await startProcess();
    expect(two.instanceId).not.toBe(one.instanceId);
    const clientTwo = clientFor(two.port, KEYS.acme);
    const again = await submitBatch(clientTwo, events);
    clientTwo.close();
    expect(leafHashes(again.acks)).toEqual(leafHashes(original.acks));
    expect(again.acks.every((ack) => durableOf(ack).duplicate)).toBe(true);
    expect(await copiesOf(events)).toEqual(events.map(() => 1));

    two.child.kill('SIGTERM');
    expect(await two.exited).toBe(0);
  });

  it('anchors every event once when SIGKILLed in the middle of a batch, and retries get one ack each', async () => {
    // A short claim window, so that the claims of batches the dead process never published are void soon.
    // Small batches: the request is claimed and published as 20 batches, and the kill lands among them.
    const short = {
      MSI_INGEST_CLAIM_WINDOW_MS: '1000',
      MSI_INGEST_PUBLISH_TIMEOUT_MS: '500',
      MSI_INGEST_BATCH_MAX_EVENTS: '50',
    };
    const one = await startProcess(short);
    const events = Array.from({ length: 1000 }, () => sampleEvent());
    const clientOne = clientFor(one.port, KEYS.acme);
    const nc = await connect({ servers: natsUrl });
    const jsm = await jetstreamManager(nc);
    const claimMessages = async () => (await jsm.streams.info(claimsStreamFor(prefix))).state.messages;
    const claimsBefore = await claimMessages();
    const inFlight = submitBatch(clientOne, events).catch(() => undefined);
    // Killed as soon as the first ClaimBatch of this request is stored.
    await eventually('a claim of the request', async () => (await claimMessages()) > claimsBefore, {
      timeoutMs: 10_000,
      intervalMs: 1,
      maxIntervalMs: 1,
    });
    one.child.kill('SIGKILL');
    await nc.close();
    await one.exited;
    await inFlight;
    clientOne.close();

    const two = await startProcess(short);
    const three = await startProcess(short);
    const clients = [clientFor(two.port, KEYS.acme), clientFor(three.port, KEYS.acme)] as const;
    // Like a client: retry what is not durable (IN_PROGRESS while a dead claim may still publish).
    const answers = new Map<string, string>();
    await eventually(
      'every event durable through the other replicas',
      async () => {
        const pending = events.filter((event) => !answers.has(event.eventId.toString('hex')));
        await Promise.all(
          clients.map(async (client, k) => {
            const half = pending.filter((_, i) => i % 2 === k);
            if (half.length === 0) return;
            const { acks } = await submitBatch(client, half);
            for (const ack of acks) {
              if (ack.outcome?.$case === 'durable')
                answers.set(ack.eventId.toString('hex'), ack.outcome.value.leafHash.toString('hex'));
            }
          }),
        );
        return answers.size === events.length;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    // Every event once in the stream; a further retry anywhere gets the same ack, as a duplicate.
    expect(await copiesOf(events)).toEqual(events.map(() => 1));
    for (const client of clients) {
      const again = await submitBatch(client, events);
      expect(again.acks.every((ack) => durableOf(ack).duplicate)).toBe(true);
      expect(leafHashes(again.acks)).toEqual(
        events.map((event) => answers.get(event.eventId.toString('hex'))),
      );
      client.close();
    }
    for (const started of [two, three]) started.child.kill('SIGTERM');
    expect(await Promise.all([two.exited, three.exited])).toEqual([0, 0]);
  });

  it('refuses to start with a configuration problem, naming the variable', async () => {
    const child = spawn(process.execPath, [join(repositoryRoot(), 'services/ingest/dist/main.js')], {
      env: {
        ...process.env,
        ...testEnv(natsUrl, prefix, credentials),
        MSI_INGEST_INSECURE: '',
        MSI_SHARDS: 'four',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.push(child);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toContain('MSI_SHARDS');
    expect(stderr).toContain('MSI_INGEST_TLS_CERT');
  });
});
