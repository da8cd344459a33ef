import { rm } from 'node:fs/promises';
import { credentials, makeGenericClientConstructor, status } from '@grpc/grpc-js';
import { type EmbeddedNats, eventually, startEmbeddedNats } from '@msi/testkit';
import { service as healthService } from 'grpc-health-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  callError,
  clientFor,
  durableOf,
  KEYS,
  sampleEvent,
  startTestIngest,
  submit,
  testEnv,
  writeCredentials,
} from './ingest.test-helper.js';
import type { RunningIngest } from './ingest-server.js';

// A private nats-server, so that stopping it disturbs no other test file; under a keeper, so that it
// stops with this test process however that ends.
let nats: EmbeddedNats;
let storeDir: string;
let ingest: RunningIngest;
const HealthClient = makeGenericClientConstructor(healthService, 'grpc.health.v1.Health');

beforeAll(async () => {
  nats = await startEmbeddedNats({ isolated: true });
  storeDir = nats.storeDir;
  ingest = await startTestIngest(testEnv(nats.url, 'health', writeCredentials()));
});

afterAll(async () => {
  await ingest?.close(1000);
  await nats?.stop();
  await rm(storeDir, { recursive: true, force: true });
});

function healthOf(port: number, service: string): Promise<string> {
  const client = new HealthClient(`127.0.0.1:${port}`, credentials.createInsecure()) as unknown as {
    check(
      request: { service: string },
      callback: (error: Error | null, response: { status: string }) => void,
    ): void;
    close(): void;
  };
  return new Promise((resolve, reject) => {
    client.check({ service }, (error, response) => {
      client.close();
      if (error === null) resolve(response.status);
      else reject(error);
    });
  });
}

describe('health follows NATS', () => {
  it('reports SERVING, NOT_SERVING while NATS is away (calls fail UNAVAILABLE), then SERVING again', async () => {
    const client = clientFor(ingest.port, KEYS.acme);
    expect(await healthOf(ingest.port, 'msi.ingest.v1.IngestService')).toBe('SERVING');
    expect(await healthOf(ingest.port, '')).toBe('SERVING');
    durableOf((await submit(client, sampleEvent())).ack);

    const port = nats.port;
    await nats.stop();
    await eventually(
      'NOT_SERVING once NATS is away',
      async () => (await healthOf(ingest.port, 'msi.ingest.v1.IngestService')) === 'NOT_SERVING',
      { timeoutMs: 10_000 },
    );
    expect(await healthOf(ingest.port, '')).toBe('NOT_SERVING');
    expect(ingest.isServing()).toBe(false);
    const away = await callError(submit(client, sampleEvent()));
    expect(away.code).toBe(status.UNAVAILABLE);
    expect(away.metadata.get('grpc-retry-pushback-ms')).toEqual(['1000']); // a retry hint

    // It comes back with an empty store (the first server's store was removed): ingest recreates
    // its streams and bucket before it serves again.
    nats = await startEmbeddedNats({ port, storeDir, isolated: true });
    await eventually(
      'SERVING once NATS is back',
      async () => (await healthOf(ingest.port, 'msi.ingest.v1.IngestService')) === 'SERVING',
      { timeoutMs: 15_000 },
    );
    // The first publish after a reconnect may still race the JetStream restart: retry as a client would.
    await eventually(
      'a durable ack after the reconnect',
      async () => {
        const { ack } = await submit(client, sampleEvent());
        return ack?.outcome?.$case === 'durable';
      },
      { timeoutMs: 15_000 },
    );
    client.close();
  });
});
