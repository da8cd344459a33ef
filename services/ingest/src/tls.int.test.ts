import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { decodeEvent } from '@msi/core';
import { streamV1 } from '@msi/proto';
import { eventually, useWorld } from '@msi/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIngestClient } from './client.js';
import {
  callError,
  durableOf,
  KEYS,
  sampleEvent,
  snapshot,
  startTestIngest,
  submit,
  testEnv,
  writeCredentials,
} from './ingest.test-helper.js';
import type { RunningIngest } from './ingest-server.js';
import { lineageExampleAt } from './lineage-testdata.test-helper.js';

// Certificates are made by the openssl CLI for this run: a server CA and server certificate for
// 127.0.0.1, a client CA with three client certificates, and a rogue CA with a look-alike client.
const world = useWorld({ label: 'ingest_tls' });
const { natsUrl, prefix } = world;
const dir = mkdtempSync(join(tmpdir(), 'msi-ingest-tls-'));
const file = (name: string) => join(dir, name);
const read = (name: string) => readFileSync(file(name));

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

function makeCa(name: string): void {
  openssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.crt`,
    '-subj',
    `/CN=${name}`,
    '-days',
    '2',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
}

function makeLeaf(name: string, cn: string, ca: string, extensions: string): void {
  openssl(
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    `/CN=${cn}`,
  );
  writeFileSync(file(`${name}.ext`), extensions);
  openssl(
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.crt`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-out',
    `${name}.crt`,
    '-days',
    '2',
    '-extfile',
    `${name}.ext`,
  );
}

const fingerprint = (name: string) =>
  createHash('sha256')
    .update(new X509Certificate(read(`${name}.crt`)).raw)
    .digest('hex');

let ingest: RunningIngest;
let strict: RunningIngest;

beforeAll(async () => {
  makeCa('server-ca');
  makeLeaf(
    'server',
    'localhost',
    'server-ca',
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n',
  );
  makeCa('client-ca');
  const client = 'extendedKeyUsage=clientAuth\n';
  makeLeaf('agent', 'agent-7', 'client-ca', client);
  makeLeaf('pinned', 'pinned-gateway', 'client-ca', client);
  makeLeaf('stranger', 'stranger', 'client-ca', client);
  makeCa('rogue-ca');
  makeLeaf('impostor', 'agent-7', 'rogue-ca', client);
  const credentials = writeCredentials([
    { certSubjectCn: 'agent-7', tenant: 'initech', principal: 'agent-7', roles: ['emitter'] },
    { certSha256: fingerprint('pinned'), tenant: 'globex', principal: 'pinned-gateway', roles: ['emitter'] },
  ]);
  const tls = {
    MSI_INGEST_INSECURE: 'false',
    MSI_INGEST_TLS_CERT: file('server.crt'),
    MSI_INGEST_TLS_KEY: file('server.key'),
    MSI_INGEST_CLIENT_CA: file('client-ca.crt'),
  };
  ingest = await startTestIngest(
    testEnv(natsUrl, prefix, credentials, { ...tls, MSI_INGEST_OPENLINEAGE_LISTEN: '127.0.0.1:0' }),
  );
  strict = await startTestIngest(
    testEnv(natsUrl, prefix, credentials, { ...tls, MSI_INGEST_REQUIRE_CLIENT_CERT: 'true' }),
  );
});

afterAll(async () => {
  await ingest?.close(1000);
  await strict?.close(1000);
  rmSync(dir, { recursive: true, force: true });
});

function tlsClient(port: number, certificate?: string, apiKey?: string) {
  return createIngestClient({
    address: `127.0.0.1:${port}`,
    tls: {
      ca: read('server-ca.crt'),
      serverName: 'localhost',
      ...(certificate === undefined
        ? {}
        : { cert: read(`${certificate}.crt`), key: read(`${certificate}.key`) }),
    },
    ...(apiKey === undefined ? {} : { apiKey }),
  });
}

describe('ingest over TLS with client certificates', () => {
  it('maps a client certificate to its tenant and principal, by subject CN', async () => {
    const client = tlsClient(ingest.port, 'agent');
    const event = sampleEvent();
    const durable = durableOf((await submit(client, event)).ack);
    client.close();
    const { events } = await snapshot(natsUrl, prefix);
    const stored = events
      .map((bytes) => decodeEvent(bytes))
      .find((e) => Buffer.from(e.eventId).equals(event.eventId));
    expect(stored).toMatchObject({ tenant: 'initech', submitter: 'agent-7' });
    expect(durable.duplicate).toBe(false);
  });

  it('maps a pinned certificate by its SHA-256 fingerprint', async () => {
    const client = tlsClient(ingest.port, 'pinned');
    const event = sampleEvent();
    durableOf((await submit(client, event)).ack);
    client.close();
    const { events } = await snapshot(natsUrl, prefix);
    const stored = events
      .map((bytes) => decodeEvent(bytes))
      .find((e) => Buffer.from(e.eventId).equals(event.eventId));
    expect(stored).toMatchObject({ tenant: 'globex', submitter: 'pinned-gateway' });
  });

  it('accepts an API key over TLS without a client certificate', async () => {
    const client = tlsClient(ingest.port, undefined, KEYS.acme);
    expect(durableOf((await submit(client, sampleEvent())).ack).duplicate).toBe(false);
    client.close();
  });

  it('refuses a certificate of the client CA that no credential names, and one from another CA', async () => {
    const stranger = tlsClient(ingest.port, 'stranger');
    const impostor = tlsClient(ingest.port, 'impostor');
    expect((await callError(submit(stranger, sampleEvent()))).code).toBe(status.UNAUTHENTICATED);
    expect((await callError(submit(impostor, sampleEvent()))).code).toBe(status.UNAUTHENTICATED);
    stranger.close();
    impostor.close();
    await eventually('a security event for the unknown certificate', async () =>
      (await snapshot(natsUrl, prefix)).security.some((e) => e.reason === 'unknown_client_certificate'),
    );
    const { security } = await snapshot(natsUrl, prefix);
    expect(security.map((e) => e.kind)).toContain(
      streamV1.SecurityEventKind.SECURITY_EVENT_KIND_UNAUTHENTICATED,
    );
  });

  it('with MSI_INGEST_REQUIRE_CLIENT_CERT, refuses connections without a verified certificate', async () => {
    const impostor = tlsClient(strict.port, 'impostor');
    const keyOnly = tlsClient(strict.port, undefined, KEYS.acme);
    const agent = tlsClient(strict.port, 'agent');
    expect((await callError(submit(impostor, sampleEvent()))).code).toBe(status.UNAVAILABLE);
    expect((await callError(submit(keyOnly, sampleEvent()))).code).toBe(status.UNAVAILABLE);
    expect(durableOf((await submit(agent, sampleEvent())).ack).duplicate).toBe(false);
    for (const client of [impostor, keyOnly, agent]) client.close();
  });

  it('is not reachable in plaintext', async () => {
    const plain = createIngestClient({
      address: `127.0.0.1:${ingest.port}`,
      insecure: true,
      apiKey: KEYS.acme,
    });
    expect((await callError(submit(plain, sampleEvent()))).code).toBe(status.UNAVAILABLE);
    plain.close();
  });

  it('serves the OpenLineage endpoint over HTTPS with the same certificate; API keys only', async () => {
    const post = (headers: Record<string, string>, cert?: string) =>
      new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
        const body = JSON.stringify(lineageExampleAt('minimal-complete', Date.now()));
        const call = request(
          {
            host: '127.0.0.1',
            port: ingest.openLineagePort,
            path: '/api/v1/lineage',
            method: 'POST',
            ca: read('server-ca.crt'),
            servername: 'localhost',
            headers: { 'content-type': 'application/json', ...headers },
            ...(cert === undefined ? {} : { cert: read(`${cert}.crt`), key: read(`${cert}.key`) }),
          },
          (response) => {
            let text = '';
            response.on('data', (chunk: Buffer) => {
              text += chunk.toString();
            });
            response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }));
          },
        );
        call.on('error', reject);
        call.end(body);
      });
    const anchored = await post({ authorization: `Bearer ${KEYS.acme}` });
    expect(anchored.status, JSON.stringify(anchored.body)).toBe(201);
    const certOnly = await post({}, 'agent');
    expect([certOnly.status, certOnly.body.code]).toEqual([401, 'UNAUTHENTICATED']);
  });
});
