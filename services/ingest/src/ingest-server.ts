import { randomBytes } from 'node:crypto';
import type { ServerCredentials } from '@grpc/grpc-js';
import type { MerkleHasher } from '@msi/merkle';
import {
  bucketNamesFor,
  claimsStreamFor,
  defaultStreamSettings,
  ensureStreams,
  publishDurable,
  streamNamesFor,
  subjectsFor,
} from '@msi/nats';
import { ingestV1, ingestV1ShardAdmin, streamV1 } from '@msi/proto';
import {
  CredentialStore,
  every,
  fromFile,
  type Logger,
  SecurityReporter,
  type ServiceHealth,
  startGrpcServer,
  traced,
  withTraceHeaders,
} from '@msi/service-kit';
import { asBuffer, reusedWriterSerializer } from '@msi/wire';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Registry } from 'prom-client';
import { Admission } from './admission.js';
import { AsyncPublisher } from './async-publisher.js';
import { BatchLocator } from './batch-locator.js';
import { publishSpan } from './batch-span.js';
import { ClaimIndex } from './claim-index.js';
import { ClaimLog } from './claim-log.js';
import { ClaimSpillDirectory } from './claim-spill-directory.js';
import { type IngestConfig, loadConfig } from './config.js';
import { expectedRound } from './expected-round.js';
import { IngestCalls } from './ingest-calls.js';
import { statusOf } from './ingest-error.js';
import type { EventBatchToPublish } from './ingest-pipeline.js';
import { IngestPipeline } from './ingest-pipeline.js';
import { ingestServiceImplementation } from './ingest-service.js';
import { LINEAGE_PATH, startLineageServer } from './lineage-server.js';
import { createIngestMetrics } from './metrics.js';
import { RoundTracker } from './round-tracker.js';
import { readSetting, serverCredentials } from './server-credentials.js';
import { shardAdminImplementation } from './shard-admin-service.js';
import { type Sha256Many, sha256EachByNode } from './shard-of.js';
import { ShardRouting } from './shard-routing.js';

/** What startIngest takes besides its settings: connections, credentials, ports and test seams. */
export interface IngestDeps {
  /** The NATS connection (opened by the runner; ingest never closes it). */
  readonly nc: NatsConnection;
  /** The API keys and certificate identities (MSI_INGEST_CREDENTIALS_FILE, already loaded). */
  readonly credentials: CredentialStore;
  /** The gRPC listener's credentials (plaintext or TLS, already loaded). */
  readonly grpcCredentials: ServerCredentials;
  /** The OpenLineage endpoint's certificate and key (ingest's own, when its listener has TLS). */
  readonly openLineageTls?: { readonly cert: Buffer; readonly key: Buffer } | undefined;
  /** grpc.health.v1 follows it; ingest adds the dependency `jetstream`. */
  readonly health: ServiceHealth;
  /** Computes event leaf hashes, a request at a time (the WASM batch kernel in main.ts). */
  readonly hasher: MerkleHasher;
  /** SHA-256 of many messages (the shard rule's hash, a request at a time); node:crypto by default. */
  readonly sha256Many?: Sha256Many;
  readonly log: Logger;
  readonly registry: Registry;
  /** ms since the epoch. */
  readonly nowMs?: () => number;
  /** Names this process in batch ids (`<instance id>-<counter>`); random by default. */
  readonly instanceId?: string;
}

export interface RunningIngest {
  readonly instanceId: string;
  /** The gRPC port actually bound (MSI_INGEST_LISTEN may say 0). */
  readonly port: number;
  /** The OpenLineage endpoint's port actually bound, when it serves. */
  readonly openLineagePort: number | undefined;
  isServing(): boolean;
  /** Stops accepting calls, lets running ones finish (up to `graceMs`), publishes what is batched. */
  close(graceMs?: number): Promise<void>;
}

/**
 * Random bytes handed out in slices of one large randomBytes call (one call per request costs more
 * than the nonces themselves). A slice is never handed out twice: a used-up pool is replaced, not refilled.
 */
class RandomPool {
  #pool = Buffer.alloc(0);
  #used = 0;

  take(size: number): Buffer {
    if (this.#used + size > this.#pool.length) {
      this.#pool = randomBytes(Math.max(size, 64 * 1024));
      this.#used = 0;
    }
    const slice = this.#pool.subarray(this.#used, this.#used + size);
    this.#used += size;
    return slice;
  }
}

/** Allowed difference between clocks (ingest vs NATS server, ingest vs ingest), ms. */
const CLOCK_SLACK_MS = 5000;
/** A request that brings this many events to one batch seals it at once instead of lingering. */
const SEAL_AT_LEAST = 64;
const SERVICE_NAME = 'msi.ingest.v1.IngestService';
const SHARD_ADMIN_SERVICE_NAME = 'msi.ingest.v1.ShardAdminService';

/** Ingest's configuration with the files it names loaded (exit 2 in main.ts when one is bad). */
export interface LoadedIngest extends IngestConfig {
  readonly credentials: CredentialStore;
  readonly grpcCredentials: ServerCredentials;
  readonly openLineageTls: { readonly cert: Buffer; readonly key: Buffer } | undefined;
}

/** Reads the configuration and loads the credentials file and the TLS files it names. */
export async function loadIngest(env: Readonly<Record<string, string | undefined>>): Promise<LoadedIngest> {
  const config = loadConfig(env);
  const credentials = fromFile('MSI_INGEST_CREDENTIALS_FILE', config.credentialsFile, (text) =>
    CredentialStore.fromJson(text),
  );
  const grpcCredentials = await serverCredentials(config.transport);
  const openLineageTls =
    config.openLineage === undefined || config.transport.kind === 'insecure'
      ? undefined
      : {
          cert: await readSetting('MSI_INGEST_TLS_CERT', config.transport.certFile),
          key: await readSetting('MSI_INGEST_TLS_KEY', config.transport.keyFile),
        };
  return { ...config, credentials, grpcCredentials, openLineageTls };
}

/**
 * Starts ingest on an open NATS connection: creates the streams and the claims stream if needed,
 * applies the claims stream to its index (serving once it caught up), follows the rounds stream, and serves IngestService (NOT_SERVING on grpc.health.v1, and
 * UNAVAILABLE for calls, while NATS is unreachable or JetStream unconfirmed after a reconnect).
 */
export async function startIngest(config: IngestConfig, deps: IngestDeps): Promise<RunningIngest> {
  const { log, nc, credentials, grpcCredentials, health } = deps;
  const now = deps.nowMs ?? Date.now;
  const instanceId = deps.instanceId ?? `ingest-${randomBytes(4).toString('hex')}`;
  const subjects = subjectsFor(config.prefix);
  const streams = streamNamesFor(config.prefix);
  const stops: (() => Promise<unknown> | unknown)[] = [];
  try {
    const js = jetstream(nc);
    const jsm = await jetstreamManager(nc);
    await ensureStreams(jsm, config.prefix, { ...defaultStreamSettings, replicas: config.natsReplicas });
    const publisher = new AsyncPublisher(nc, config.publishTimeoutMs, now);
    stops.push(() => publisher.close());
    // The index is made below; until then its gauges read 0.
    let index: ClaimIndex | undefined;
    const metrics = createIngestMetrics(
      deps.registry,
      () => index?.size ?? 0,
      () => ({ memory: index?.bytes ?? 0, disk: index?.coldBytes ?? 0 }),
    );
    // Ids older than the memory horizon go to files of this process's own (none when it covers the window).
    const spill =
      config.claimMemoryMs < config.dedupWindowMs + config.maxSkewMs
        ? await ClaimSpillDirectory.open(config.claimDirectory)
        : undefined;
    if (spill !== undefined) stops.push(() => spill.close());
    index = new ClaimIndex({
      windowMs: config.dedupWindowMs,
      skewMs: config.maxSkewMs,
      ...(spill === undefined
        ? {}
        : {
            cold: {
              store: spill,
              memoryMs: config.claimMemoryMs,
              onError: (error: unknown) => {
                metrics.claimIndexWriteFailures.inc();
                log.warn('a claim index slice stays in memory', { error });
              },
            },
          }),
    });
    const claims = new ClaimLog(js, jsm, publisher, index, {
      stream: claimsStreamFor(config.prefix),
      subject: subjects.claims,
      // A claim outlives every id it can be asked about: ids up to `skew` ahead are accepted.
      maxAgeMs: config.dedupWindowMs + config.maxSkewMs + CLOCK_SLACK_MS,
      replicas: config.natsReplicas,
      timeoutMs: config.publishTimeoutMs,
      nowMs: now,
      log,
    });
    await claims.ensureStream();
    await claims.start();
    stops.push(() => claims.stop());
    const routing = await ShardRouting.start({
      js,
      bucket: bucketNamesFor(config.prefix).shardMap,
      replicas: config.natsReplicas,
      seedCount: config.shards,
      instanceId,
      pollMs: config.shardMapPollMs,
      reportTtlMs: config.shardMapReportTtlMs,
      maxStalenessMs: config.shardMapMaxStalenessMs,
      nowMs: now,
      log,
    });
    stops.push(() => routing.stop());

    let batchCounter = 0;
    const nextBatchId = () => `${instanceId}-${++batchCounter}`;
    const publishBatch = async (batch: EventBatchToPublish): Promise<void> => {
      const payload = streamV1.EventBatch.encode({
        version: 1,
        batchId: batch.batchId,
        shard: batch.shard,
        events: batch.events.map(asBuffer),
      }).finish();
      const started = performance.now();
      const subject = subjects.events(batch.shard);
      await traced('ingest.publish_batch', publishSpan(subject, batch), () =>
        publishDurable(js, subject, payload, {
          msgID: batch.batchId,
          timeoutMs: config.publishTimeoutMs,
          attempts: config.publishAttempts,
          deadline: batch.deadlineMs,
          ...withTraceHeaders(),
        }),
      );
      metrics.publishSeconds.observe((performance.now() - started) / 1000);
      metrics.batchEvents.observe(batch.events.length);
      metrics.batchBytes.observe(batch.events.reduce((sum, event) => sum + event.length, 0));
    };
    const pipeline = new IngestPipeline(
      {
        claims,
        index,
        hashLeaf: (canonical) => deps.hasher.hashLeaf(canonical),
        locator: new BatchLocator(js, jsm, {
          stream: streams.events,
          clockSlackMs: CLOCK_SLACK_MS,
          timeoutMs: config.claimWindowMs,
        }),
        publishBatch,
        subjectOf: (shard) => subjects.events(shard),
        nextBatchId,
        nowMs: now,
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      },
      {
        claimWindowMs: config.claimWindowMs,
        publishTimeoutMs: config.publishTimeoutMs,
        claimGraceMs: CLOCK_SLACK_MS,
        lingerMs: config.lingerMs,
        batchMaxEvents: config.batchMaxEvents,
        batchMaxBytes: config.batchMaxBytes,
        sealAtLeast: SEAL_AT_LEAST,
      },
    );
    const rounds = new RoundTracker(js, streams.rounds, subjects.rounds, log);
    rounds.start();
    stops.push(() => rounds.stop());

    const nonces = new RandomPool();
    const calls = new IngestCalls({
      credentials,
      pipeline,
      security: new SecurityReporter({
        service: 'ingest',
        send: (payload) => nc.publish(subjects.security, payload),
        nowMs: now,
        perSecond: config.securityEventsPerSecond,
        onPublished: (kind) => metrics.securityEvents.inc({ kind }),
        onDropped: () => metrics.securityDropped.inc(),
      }),
      metrics,
      admission: new Admission(config.maxInFlight, (used) => metrics.inFlight.set(used)),
      isServing: () => health.serving,
      stamp: (identity) => {
        const receivedAtUs = now() * 1000;
        return {
          tenant: identity.tenant,
          principal: identity.principal,
          receivedAtUs,
          randomNonces: (count) => nonces.take(16 * count),
          hasher: deps.hasher,
          sha256Many: deps.sha256Many ?? sha256EachByNode,
          shards: routing.routingMap().activeCount,
          maxSkewMs: config.maxSkewMs,
          maxAgeMs: config.maxAgeMs,
          maxBatch: config.maxBatch,
          expectedRound: expectedRound(rounds.lastRound, receivedAtUs, config.roundIntervalMs),
        };
      },
      nowMs: now,
      maxWaitMs: config.claimWindowMs + config.publishTimeoutMs + CLOCK_SLACK_MS + 1000,
      log,
    });

    const grpc = await startGrpcServer({
      host: config.listenHost,
      port: config.listenPort,
      credentials: grpcCredentials,
      services: [
        {
          name: SERVICE_NAME,
          definition: {
            ...ingestV1.IngestServiceService,
            // The answer sent most (1,000 acks, ~60 KB): its writer is kept from call to call (@msi/wire).
            submitBatch: {
              ...ingestV1.IngestServiceService.submitBatch,
              responseSerialize: reusedWriterSerializer(ingestV1.SubmitBatchResponse),
            },
          },
          implementation: ingestServiceImplementation(calls, config.streamWindow, config.maxBatch),
          onUndecodable: (call, request) => {
            const refused = calls.refuseUndecodable(call, call.getPath(), request);
            return statusOf(refused);
          },
        },
        {
          name: SHARD_ADMIN_SERVICE_NAME,
          definition: ingestV1ShardAdmin.ShardAdminServiceService,
          implementation: shardAdminImplementation(calls, routing),
          onUndecodable: (call, request) => statusOf(calls.refuseUndecodable(call, call.getPath(), request)),
        },
      ],
      maxReceiveMessageBytes: config.maxMessageBytes,
      health,
    });
    stops.push(() => grpc.server.forceShutdown());
    const lineage =
      config.openLineage === undefined
        ? undefined
        : await startLineageServer({
            ...config.openLineage,
            calls,
            maxBodyBytes: config.openLineageMaxBodyBytes,
            tls: deps.openLineageTls,
            log,
          });
    if (lineage !== undefined) stops.push(() => lineage.close(0));
    // After a reconnect, make sure the streams and the claims stream are there (a NATS that lost its store
    // comes back empty) before serving again (dependency `jetstream`); retry while JetStream starts.
    const reestablish = every({
      intervalMs: 1000,
      waitFirst: true,
      run: async (signal) => {
        if (!health.down.has('jetstream') || health.down.has('nats') || signal.aborted) return;
        await ensureStreams(jsm, config.prefix, { ...defaultStreamSettings, replicas: config.natsReplicas });
        await claims.ensureStream();
        await claims.resync();
        health.set('jetstream', true);
        log.info('JetStream confirmed after the reconnect: serving');
      },
      onError: (error) => log.warn('JetStream not ready after reconnect; retrying', { error }),
    });
    stops.push(() => reestablish.stop());
    let closing = false;
    let connected = !nc.isClosed();
    const unwatch = health.watch(() => {
      const up = !health.down.has('nats');
      if (up === connected || closing) return;
      connected = up;
      if (up) reestablish.wake();
      else health.set('jetstream', false, 'streams and claims stream not confirmed since NATS reconnected');
    });
    stops.push(unwatch);
    log.info('ingest serving', {
      instanceId,
      grpc: `${config.listenHost}:${grpc.port}`,
      openLineage:
        config.openLineage === undefined || lineage === undefined
          ? 'off'
          : `${deps.openLineageTls === undefined ? 'http' : 'https'}://${config.openLineage.host}:${lineage.port}${LINEAGE_PATH}`,
      tls: config.transport.kind,
      metrics:
        config.metricsPort === 0 ? 'off' : `http://${config.metricsHost}:${config.metricsPort}/metrics`,
      prefix: config.prefix,
      shardMapVersion: routing.current.version,
      activeShards: routing.current.activeCount,
      credentials: credentials.counts(),
    });
    let closed: Promise<void> | undefined;
    return {
      instanceId,
      port: grpc.port,
      openLineagePort: lineage?.port,
      isServing: () => health.serving,
      close(graceMs = 5000) {
        closed ??= (async () => {
          closing = true;
          unwatch();
          await reestablish.stop();
          const stopping = Promise.all([grpc.shutdown(graceMs), lineage?.close(graceMs)]);
          pipeline.flush();
          await stopping;
          rounds.stop();
          claims.stop();
          await routing.stop();
          publisher.close();
          await spill?.close();
        })();
        return closed;
      },
    };
  } catch (error: unknown) {
    for (const stop of stops.reverse()) await Promise.resolve(stop()).catch(() => undefined);
    throw error;
  }
}
