import { type Ed25519Verifier, parseVerifierKey } from '@msi/core';
import type { MerkleHasher } from '@msi/merkle';
import { subjectsFor } from '@msi/nats';
import type { Pool } from '@msi/postgres';
import { verifierV1 } from '@msi/proto';
import {
  type Logger,
  type RunningGrpcServer,
  SecurityReporter,
  ServerCredentials,
  type ServiceHealth,
  startGrpcServer,
  undecodableRefusal,
} from '@msi/service-kit';
import { reusedWriterSerializer } from '@msi/wire';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Registry } from 'prom-client';
import type { ApiKeys } from './credentials.js';
import { type Failure, publishFailure } from './integrity.js';
import { createVerifierMetrics, failureKindLabel, type ProjectionPositions } from './metrics.js';
import { Projector } from './projector.js';
import { ReceiptCache } from './receipt-store.js';
import { failureReporter, verifierService } from './verifier-service.js';

export interface VerifierOptions {
  /** The NATS connection and the projection's database, opened by the runner (never closed here). */
  readonly nc: NatsConnection;
  readonly pool: Pool;
  /** grpc.health.v1 follows it. */
  readonly health: ServiceHealth;
  readonly registry: Registry;
  readonly prefix: string;
  /** JetStream replicas for streams it creates or updates (default 1). */
  readonly natsReplicas?: number;
  readonly calendarKey: string;
  /** Witness verifier key strings (0x04) whose cosignature lines are checked; default none. */
  readonly witnessKeys?: readonly string[];
  readonly keys: ApiKeys;
  readonly hasher: MerkleHasher;
  readonly ed25519: Ed25519Verifier;
  readonly host: string;
  readonly port: number;
  /** The receipt cache's byte budget (default 128 MiB). */
  readonly receiptCacheBytes?: number;
  readonly log: Logger;
  readonly nowMs?: () => number;
  readonly onFailure?: (failure: Failure) => void;
}

export interface RunningVerifier {
  readonly port: number;
  readonly pool: Pool;
  readonly projector: Projector;
  readonly server: RunningGrpcServer;
  stop(): Promise<void>;
}

/** Security events published per second at most (bursts of twice that); the rest are counted. */
const SECURITY_EVENTS_PER_SECOND = 100;
/** The methods anyone may call (the public audit of the calendar): no key is asked of them. */
const PUBLIC_METHODS: ReadonlySet<string> = new Set(
  [
    'VerifyReceipt',
    'GetCheckpoint',
    'GetConsistencyProof',
    'GetRound',
    'GetWitnessStatus',
    'ListPublications',
  ].map((name) => `/msi.verifier.v1.VerifierService/${name}`),
);

/**
 * Starts the projection and the gRPC server on open connections; grpc.health.v1 follows `health`
 * (NOT_SERVING while the database or NATS is away).
 */
export async function startVerifier(o: VerifierOptions): Promise<RunningVerifier> {
  const now = o.nowMs ?? Date.now;
  const { pool, registry } = o;
  let positions: () => Promise<ProjectionPositions> = async () => ({});
  const metrics = createVerifierMetrics(registry, () => positions());
  const onFailure = (failure: Failure) => {
    metrics.integrityFailures.inc({ kind: failureKindLabel(failure.kind) });
    o.onFailure?.(failure);
  };
  const publish = (failure: Failure) => {
    publishFailure(o.nc, o.prefix, failure, now());
    onFailure(failure);
  };
  const cache = new ReceiptCache(o.receiptCacheBytes === undefined ? {} : { bytes: o.receiptCacheBytes });
  const projector = await Projector.start({
    pool,
    nc: o.nc,
    prefix: o.prefix,
    ...(o.natsReplicas === undefined ? {} : { natsReplicas: o.natsReplicas }),
    hasher: o.hasher,
    ed25519: o.ed25519,
    calendarKey: parseVerifierKey(o.calendarKey),
    witnessKeys: (o.witnessKeys ?? []).map((k) => parseVerifierKey(k)),
    log: o.log.child({ component: 'projector' }),
    now,
    onFailure,
    onSealed: (events) => cache.rememberSealed(events),
    metrics,
  });
  positions = () => projector.positions();
  const security = new SecurityReporter({
    service: 'verifier',
    send: (payload) => o.nc.publish(subjectsFor(o.prefix).security, payload),
    nowMs: now,
    perSecond: SECURITY_EVENTS_PER_SECOND,
    onPublished: (kind) => metrics.securityEvents.inc({ kind }),
    onDropped: () => metrics.securityDropped.inc(),
  });
  const server = await startGrpcServer({
    host: o.host,
    port: o.port,
    credentials: ServerCredentials.createInsecure(),
    maxReceiveMessageBytes: 4 * 1024 * 1024,
    services: [
      {
        name: 'msi.verifier.v1.VerifierService',
        definition: {
          ...verifierV1.VerifierServiceService,
          // The answer sent most: its writer is kept from call to call (@msi/wire).
          getReceipt: {
            ...verifierV1.VerifierServiceService.getReceipt,
            responseSerialize: reusedWriterSerializer(verifierV1.GetReceiptResponse),
          },
        },
        implementation: verifierService({
          pool,
          hasher: o.hasher,
          ed25519: o.ed25519,
          keys: o.keys,
          security,
          report: failureReporter(pool, publish),
          now,
          log: o.log.child({ component: 'api' }),
          metrics,
          cache,
        }),
        onUndecodable: undecodableRefusal({
          authenticate: (call) => o.keys.authenticateCall(call.metadata),
          security,
          publicMethods: PUBLIC_METHODS,
        }),
      },
    ],
    health: o.health,
  });
  return {
    port: server.port,
    pool,
    projector,
    server,
    async stop() {
      server.setServing(false);
      await server.shutdown(2000);
      await projector.stop();
    },
  };
}
