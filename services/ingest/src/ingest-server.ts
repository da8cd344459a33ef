import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { MerkleHasher } from '@msi/merkle';
import {
  bucketNamesFor,
  connectNats,
  defaultStreamSettings,
  ensureStreams,
  publishDurable,
  streamNamesFor,
  subjectsFor,
  watchConnection,
} from '@msi/nats';
import { ingestV1, streamV1 } from '@msi/proto';
import {
  CredentialStore,
  createLogger,
  createRegistry,
  type Logger,
  SecurityReporter,
  startGrpcServer,
  startMetricsListener,
} from '@msi/service-kit';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { Registry } from 'prom-client';
import { Admission } from './admission.js';
import { AsyncPublisher } from './async-publisher.js';
import { BatchLocator } from './batch-locator.js';
import { asBuffer } from './claim-record.js';
import type { IngestConfig } from './config.js';
import { expectedRound } from './expected-round.js';
import { IdempotencyStore } from './idempotency-store.js';
import { IngestCalls } from './ingest-calls.js';
import { statusOf } from './ingest-error.js';
import { IngestPipeline } from './ingest-pipeline.js';
import { ingestServiceImplementation } from './ingest-service.js';
import { createIngestMetrics } from './metrics.js';
import { RoundTracker } from './round-tracker.js';
import { serverCredentials } from './server-credentials.js';
import type { SealedBatch } from './shard-batcher.js';

/** What startIngest takes besides its configuration: ports and test seams. */
export interface IngestDeps {
  /** Computes event leaf hashes (nodeHasher() in main.ts). */
  readonly hasher: MerkleHasher;
  readonly logger?: Logger;
  /** ms since the epoch. */
  readonly now?: () => number;
  readonly registry?: Registry;
  /** Names this process in batch ids (`<instance id>-<counter>`); random by default. */
  readonly instanceId?: string;
}

export interface RunningIngest {
  readonly instanceId: string;
  /** The gRPC port actually bound (MSI_INGEST_LISTEN may say 0). */
  readonly port: number;
  /** The metrics server's port, undefined when it is off (MSI_INGEST_METRICS_PORT=0). */
  readonly metricsPort: number | undefined;
  isServing(): boolean;
  /** Stops accepting calls, lets running ones finish (up to `graceMs`), publishes what is batched, disconnects. */
  close(graceMs?: number): Promise<void>;
}

/**
 * Random bytes handed out in slices of one large randomBytes call (one call per request costs more
 * than the nonces themselves). A slice is never handed out twice: a used-up pool is replaced, not refilled.
 */
class RandomPool {
  private pool = Buffer.alloc(0);
  private used = 0;

  take(size: number): Buffer {
    if (this.used + size > this.pool.length) {
      this.pool = randomBytes(Math.max(size, 64 * 1024));
      this.used = 0;
    }
    const slice = this.pool.subarray(this.used, this.used + size);
    this.used += size;
    return slice;
  }
}

/** Allowed difference between clocks (ingest vs NATS server, ingest vs ingest), ms. */
const CLOCK_SLACK_MS = 5000;
/** A request that brings this many events to one batch seals it at once instead of lingering. */
const SEAL_AT_LEAST = 64;
const SERVICE_NAME = 'msi.ingest.v1.IngestService';

/**
 * Starts ingest: connects to NATS (creating the streams and the idempotency bucket if needed),
 * follows the rounds stream, and serves IngestService and grpc.health.v1 (NOT_SERVING, and
 * UNAVAILABLE for calls, while NATS is unreachable) plus /metrics.
 */
export async function startIngest(config: IngestConfig, deps: IngestDeps): Promise<RunningIngest> {
  const logger = deps.logger ?? createLogger({ service: 'ingest', level: config.logLevel });
  const now = deps.now ?? Date.now;
  const credentials = CredentialStore.fromJson(await readFile(config.credentialsFile, 'utf8'));
  const grpcCredentials = await serverCredentials(config.transport);
  const instanceId = deps.instanceId ?? `ingest-${randomBytes(4).toString('hex')}`;
  const subjects = subjectsFor(config.prefix);
  const streams = streamNamesFor(config.prefix);
  const nc = await connectNats({ servers: config.natsUrl, name: `msi-${instanceId}` });
  const stops: (() => Promise<unknown> | unknown)[] = [];
  try {
    const js = jetstream(nc);
    const jsm = await jetstreamManager(nc);
    await ensureStreams(jsm, config.prefix, { ...defaultStreamSettings, replicas: config.natsReplicas });
    const publisher = new AsyncPublisher(nc, config.publishTimeoutMs, now);
    stops.push(() => publisher.close());
    const bucket = bucketNamesFor(config.prefix).idempotency;
    const bucketOptions = {
      ttlMs: config.dedupWindowMs,
      replicas: config.natsReplicas,
      publisher,
    };
    const store = await IdempotencyStore.open(js, bucket, bucketOptions);
    const registry = deps.registry ?? createRegistry('ingest');
    const metrics = createIngestMetrics(registry);

    let batchCounter = 0;
    const nextBatchId = () => `${instanceId}-${++batchCounter}`;
    const publishBatch = async (batch: SealedBatch): Promise<void> => {
      const payload = streamV1.EventBatch.encode({
        version: 1,
        batchId: batch.batchId,
        shard: batch.shard,
        events: batch.events.map(asBuffer),
      }).finish();
      const started = performance.now();
      await publishDurable(js, subjects.events(batch.shard), payload, {
        msgID: batch.batchId,
        timeoutMs: config.publishTimeoutMs,
        attempts: config.publishAttempts,
        deadline: batch.deadlineMs,
      });
      metrics.publishSeconds.observe((performance.now() - started) / 1000);
      metrics.batchEvents.observe(batch.events.length);
      metrics.batchBytes.observe(batch.events.reduce((sum, event) => sum + event.length, 0));
    };
    const pipeline = new IngestPipeline(
      {
        store,
        locator: new BatchLocator(js, jsm, {
          stream: streams.events,
          clockSlackMs: CLOCK_SLACK_MS,
          timeoutMs: config.claimWindowMs,
        }),
        publishBatch,
        subjectOf: (shard) => subjects.events(shard),
        nextBatchId,
        now,
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      },
      {
        shards: config.shards,
        claimWindowMs: config.claimWindowMs,
        publishTimeoutMs: config.publishTimeoutMs,
        claimGraceMs: CLOCK_SLACK_MS,
        lingerMs: config.lingerMs,
        batchMaxEvents: config.batchMaxEvents,
        batchMaxBytes: config.batchMaxBytes,
        sealAtLeast: SEAL_AT_LEAST,
      },
    );
    const rounds = new RoundTracker(js, streams.rounds, subjects.rounds, logger);
    rounds.start();
    stops.push(() => rounds.stop());

    let serving = true;
    const nonces = new RandomPool();
    const calls = new IngestCalls({
      credentials,
      pipeline,
      security: new SecurityReporter({
        service: 'ingest',
        send: (payload) => nc.publish(subjects.security, payload),
        now,
        perSecond: config.securityEventsPerSecond,
        onPublished: (kind) => metrics.securityEvents.inc({ kind }),
        onDropped: () => metrics.securityDropped.inc(),
      }),
      metrics,
      admission: new Admission(config.maxInFlight, (used) => metrics.inFlight.set(used)),
      isServing: () => serving,
      stamp: (identity) => {
        const receivedAtUs = now() * 1000;
        return {
          tenant: identity.tenant,
          principal: identity.principal,
          receivedAtUs,
          randomNonces: (count) => nonces.take(16 * count),
          hasher: deps.hasher,
          shards: config.shards,
          maxSkewMs: config.maxSkewMs,
          maxAgeMs: config.maxAgeMs,
          maxBatch: config.maxBatch,
          expectedRound: expectedRound(rounds.lastRound, receivedAtUs, config.roundIntervalMs),
        };
      },
      now,
      maxWaitMs: config.claimWindowMs + config.publishTimeoutMs + CLOCK_SLACK_MS + 1000,
      logger,
    });

    const grpc = await startGrpcServer({
      host: config.listenHost,
      port: config.listenPort,
      credentials: grpcCredentials,
      services: [
        {
          name: SERVICE_NAME,
          definition: ingestV1.IngestServiceService,
          implementation: ingestServiceImplementation(calls, config.streamWindow),
          onUndecodable: (call, request) => {
            const refused = calls.refuseUndecodable(call, call.getPath(), request);
            return statusOf(refused);
          },
        },
      ],
      maxReceiveMessageBytes: config.maxMessageBytes,
    });
    stops.push(() => grpc.server.forceShutdown());
    grpc.setServing(!nc.isClosed());
    // Set by close(): the connection it drains going down is not news worth a warning.
    let closing = false;
    const setServing = (value: boolean) => {
      if (value === serving) return;
      serving = value;
      grpc.setServing(value);
      if (closing) return;
      if (value) logger.info('NATS reachable: serving');
      else logger.warn('NATS unreachable: not serving');
    };
    // After a reconnect, make sure the streams and the bucket are there (a NATS that lost its store
    // comes back empty) before serving again; retry while JetStream is still starting.
    let connected = true;
    const reestablish = async () => {
      while (connected && !nc.isClosed()) {
        try {
          await ensureStreams(jsm, config.prefix, {
            ...defaultStreamSettings,
            replicas: config.natsReplicas,
          });
          await IdempotencyStore.open(js, bucket, bucketOptions);
          if (connected) setServing(true);
          return;
        } catch (error: unknown) {
          logger.warn('JetStream not ready after reconnect; retrying', { error });
          await new Promise((resolve) => setTimeout(resolve, 1000));
        }
      }
    };
    watchConnection(nc, (up) => {
      connected = up;
      if (up) void reestablish();
      else setServing(false);
    });
    const metricsServer = await startMetricsListener(registry, {
      host: config.metricsHost,
      port: config.metricsPort,
      healthy: () => serving,
    });
    stops.push(() => metricsServer?.close());
    logger.info('ingest serving', {
      instanceId,
      grpc: `${config.listenHost}:${grpc.port}`,
      tls: config.transport.kind,
      metrics:
        metricsServer === undefined ? 'off' : `http://${config.metricsHost}:${metricsServer.port}/metrics`,
      prefix: config.prefix,
      shards: config.shards,
      credentials: credentials.counts(),
    });
    let closed: Promise<void> | undefined;
    return {
      instanceId,
      port: grpc.port,
      metricsPort: metricsServer?.port,
      isServing: () => serving,
      close(graceMs = 5000) {
        closed ??= (async () => {
          closing = true;
          const stopping = grpc.shutdown(graceMs);
          pipeline.flush();
          await stopping;
          await metricsServer?.close();
          rounds.stop();
          publisher.close();
          await nc.drain().catch(() => nc.close());
        })();
        return closed;
      },
    };
  } catch (error: unknown) {
    for (const stop of stops.reverse()) await Promise.resolve(stop()).catch(() => undefined);
    await nc.close();
    throw error;
  }
}
