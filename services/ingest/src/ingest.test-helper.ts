import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metadata, type ServiceError } from '@grpc/grpc-js';
import { encodeImprint, imprintOf, mintUuidV7 } from '@msi/core';
import { nodeHasher } from '@msi/crypto-node';
import { claimsStreamFor, connectNats, streamNamesFor, watchConnection } from '@msi/nats';
import { eventV1, type ingestV1, streamV1 } from '@msi/proto';
import { createLogger, createRegistry, ServiceHealth } from '@msi/service-kit';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { Registry } from 'prom-client';
import { createIngestClient, type IngestClientOptions } from './client.js';
import { loadIngest, type RunningIngest, startIngest } from './ingest-server.js';

/** API keys of the test credentials file. */
export const KEYS = {
  acme: 'acme-emitter-key',
  acmeAuditor: 'acme-auditor-key',
  globex: 'globex-emitter-key',
} as const;

/** A credentials file with an emitter and an auditor for tenant acme, an emitter for globex, and `extra`. */
export function writeCredentials(extra: readonly object[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), 'msi-ingest-'));
  const path = join(dir, 'credentials.json');
  const sha256 = (key: string) => createHash('sha256').update(key).digest('hex');
  const credentials = [
    { keySha256: sha256(KEYS.acme), tenant: 'acme', principal: 'etl-service', roles: ['emitter'] },
    { key: KEYS.acmeAuditor, tenant: 'acme', principal: 'auditor-1', roles: ['auditor'] },
    { key: KEYS.globex, tenant: 'globex', principal: 'gateway', roles: ['emitter', 'operator'] },
    ...extra,
  ];
  writeFileSync(path, JSON.stringify({ credentials }));
  return path;
}

let lastMs = 0;
/** A fresh UUIDv7 (distinct even within one millisecond). */
export function freshEventId(): Buffer {
  lastMs = Math.max(Date.now(), lastMs + 1);
  return Buffer.from(mintUuidV7(lastMs, randomBytes(16)));
}

/** A valid client event (tenant left empty: it comes from the credential). */
export function sampleEvent(overrides: Partial<eventV1.DataEvent> = {}): eventV1.DataEvent {
  return eventV1.DataEvent.fromPartial({
    eventId: freshEventId(),
    kind: eventV1.EventKind.EVENT_KIND_STORE,
    data: Buffer.from(encodeImprint(imprintOf('sha256', randomBytes(32)))),
    actor: 'alice',
    source: { system: 's3', region: 'eu-west-1', host: '' },
    occurredAtUs: BigInt(Date.now() - 1000) * 1000n,
    attributes: [{ key: 'classification', value: 'pii' }],
    ...overrides,
  });
}

/** The environment of a test ingest: plaintext on a free port, quiet logs, no metrics server. */
export function testEnv(
  natsUrl: string,
  prefix: string,
  credentialsFile: string,
  extra: Record<string, string> = {},
) {
  return {
    MSI_NATS_URL: natsUrl,
    MSI_PREFIX: prefix,
    MSI_SHARDS: '4',
    MSI_INGEST_LISTEN: '127.0.0.1:0',
    MSI_INGEST_INSECURE: 'true',
    MSI_INGEST_CREDENTIALS_FILE: credentialsFile,
    MSI_INGEST_METRICS_PORT: '0',
    MSI_LOG_LEVEL: 'error',
    ...extra,
  };
}

/** Starts ingest in this process. */
export async function startTestIngest(
  env: Record<string, string>,
  instanceId?: string,
  nowMs?: () => number,
): Promise<RunningIngest & { readonly registry: Registry }> {
  const config = await loadIngest(env);
  const registry = createRegistry('ingest');
  const nc = await connectNats({ servers: config.natsUrl, name: 'msi-ingest-test' });
  const health = new ServiceHealth();
  watchConnection(nc, (up) => health.set('nats', up));
  try {
    const ingest = await startIngest(config, {
      nc,
      credentials: config.credentials,
      grpcCredentials: config.grpcCredentials,
      openLineageTls: config.openLineageTls,
      health,
      hasher: nodeHasher(),
      log: createLogger({ service: 'ingest', level: config.logLevel, write: () => {} }),
      registry,
      ...(instanceId === undefined ? {} : { instanceId }),
      ...(nowMs === undefined ? {} : { nowMs }),
    });
    let closed: Promise<void> | undefined;
    return {
      ...ingest,
      registry,
      close(graceMs) {
        closed ??= ingest.close(graceMs).then(() => nc.drain().catch(() => nc.close()));
        return closed;
      },
    };
  } catch (error: unknown) {
    await nc.close();
    throw error;
  }
}

/** A plaintext client of a test ingest. */
export function clientFor(port: number, apiKey?: string, more: Partial<IngestClientOptions> = {}) {
  return createIngestClient({
    address: `127.0.0.1:${port}`,
    insecure: true,
    ...(apiKey === undefined ? {} : { apiKey }),
    ...more,
  });
}

/** SubmitBatch as a promise. */
export function submitBatch(
  client: ingestV1.IngestServiceClient,
  events: eventV1.DataEvent[],
  deadlineMs = 15_000,
): Promise<ingestV1.SubmitBatchResponse> {
  return new Promise((resolve, reject) => {
    client.submitBatch(
      { events },
      new Metadata(),
      { deadline: Date.now() + deadlineMs },
      (error, response) => (error === null ? resolve(response) : reject(error)),
    );
  });
}

/** Submit as a promise. */
export function submit(
  client: ingestV1.IngestServiceClient,
  event: eventV1.DataEvent | undefined,
): Promise<ingestV1.SubmitResponse> {
  return new Promise((resolve, reject) => {
    client.submit({ event }, (error, response) => (error === null ? resolve(response) : reject(error)));
  });
}

/** The error of a call that must fail. */
export async function callError(call: Promise<unknown>): Promise<ServiceError> {
  try {
    await call;
  } catch (error: unknown) {
    return error as ServiceError;
  }
  throw new Error('the call succeeded but was expected to fail');
}

/** The durable part of an ack, or throws. */
export function durableOf(ack: ingestV1.EventAck | undefined): ingestV1.Durable {
  if (ack?.outcome?.$case !== 'durable')
    throw new Error(`ack is not durable: ${JSON.stringify(ack?.outcome)}`);
  return ack.outcome.value;
}

/**
 * What is stored under a prefix: every EventBatch in the events stream, the claimed ids
 * (`<tenant>.<id hex>`, in claims-stream order), the ClaimBatches, the security events.
 */
export async function snapshot(natsUrl: string, prefix: string) {
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    const names = streamNamesFor(prefix);
    const batches: { seq: number; subject: string; msgId: string | undefined; batch: streamV1.EventBatch }[] =
      [];
    const events = await jsm.streams.info(names.events);
    for (let seq = events.state.first_seq; seq <= events.state.last_seq && events.state.messages > 0; seq++) {
      const stored = await jsm.streams.getMessage(names.events, { seq });
      if (stored === null) continue;
      batches.push({
        seq,
        subject: stored.subject,
        msgId: stored.header?.get('Nats-Msg-Id'),
        batch: streamV1.EventBatch.decode(stored.data),
      });
    }
    const security: streamV1.SecurityEvent[] = [];
    const sec = await jsm.streams.info(names.security);
    for (let seq = sec.state.first_seq; seq <= sec.state.last_seq && sec.state.messages > 0; seq++) {
      const stored = await jsm.streams.getMessage(names.security, { seq });
      if (stored !== null) security.push(streamV1.SecurityEvent.decode(stored.data));
    }
    const claimBatches: { seq: number; batch: streamV1.ClaimBatch }[] = [];
    const claimsStream = claimsStreamFor(prefix);
    const claims = await jsm.streams.info(claimsStream);
    for (let seq = claims.state.first_seq; seq <= claims.state.last_seq && claims.state.messages > 0; seq++) {
      const stored = await jsm.streams.getMessage(claimsStream, { seq });
      if (stored !== null) claimBatches.push({ seq, batch: streamV1.ClaimBatch.decode(stored.data) });
    }
    const keys = claimBatches.flatMap(({ batch }) =>
      batch.claims.map((claim) => `${claim.tenant}.${claim.eventId.toString('hex')}`),
    );
    return { batches, events: batches.flatMap((b) => b.batch.events), security, keys, claimBatches };
  } finally {
    await nc.close();
  }
}
