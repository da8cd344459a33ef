import { type Ed25519Verifier, parseVerifierKey } from '@msi/core';
import type { MerkleHasher } from '@msi/merkle';
import { createPool, type Pool } from '@msi/postgres';
import { verifierV1 } from '@msi/proto';
import { type Logger, type RunningGrpcServer, ServerCredentials, startGrpcServer } from '@msi/service-kit';
import type { NatsConnection } from '@nats-io/transport-node';
import type { ApiKeys } from './credentials.js';
import { type Failure, publishFailure } from './integrity.js';
import { Projector } from './projector.js';
import { failureReporter, verifierService } from './verifier-service.js';

export interface VerifierOptions {
  readonly nc: NatsConnection;
  readonly databaseUrl: string;
  readonly prefix: string;
  readonly calendarKey: string;
  readonly keys: ApiKeys;
  readonly hasher: MerkleHasher;
  readonly ed25519: Ed25519Verifier;
  readonly host: string;
  readonly port: number;
  readonly log: Logger;
  readonly now?: () => number;
  readonly onFailure?: (failure: Failure) => void;
}

export interface RunningVerifier {
  readonly port: number;
  readonly pool: Pool;
  readonly projector: Projector;
  readonly server: RunningGrpcServer;
  stop(): Promise<void>;
}

/** Starts the projection and the gRPC server (health SERVING once started). */
export async function startVerifier(o: VerifierOptions): Promise<RunningVerifier> {
  const now = o.now ?? Date.now;
  const pool = createPool({ connectionString: o.databaseUrl, applicationName: 'msi-verifier' });
  const publish = (failure: Failure) => {
    publishFailure(o.nc, o.prefix, failure, now());
    o.onFailure?.(failure);
  };
  const projector = await Projector.start({
    pool,
    nc: o.nc,
    prefix: o.prefix,
    hasher: o.hasher,
    ed25519: o.ed25519,
    calendarKey: parseVerifierKey(o.calendarKey),
    log: o.log.child({ component: 'projector' }),
    now,
    ...(o.onFailure === undefined ? {} : { onFailure: o.onFailure }),
  });
  const server = await startGrpcServer({
    host: o.host,
    port: o.port,
    credentials: ServerCredentials.createInsecure(),
    maxReceiveMessageBytes: 4 * 1024 * 1024,
    services: [
      {
        name: 'msi.verifier.v1.VerifierService',
        definition: verifierV1.VerifierServiceService,
        implementation: verifierService({
          pool,
          hasher: o.hasher,
          ed25519: o.ed25519,
          keys: o.keys,
          report: failureReporter(pool, publish),
          now,
          log: o.log.child({ component: 'api' }),
        }),
      },
    ],
  });
  server.setServing(true);
  return {
    port: server.port,
    pool,
    projector,
    server,
    async stop() {
      server.setServing(false);
      await server.shutdown(2000);
      await projector.stop();
      await pool.end();
    },
  };
}
