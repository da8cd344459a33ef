import {
  Server,
  ServerCredentials,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { HealthImplementation, type ServingStatus } from 'grpc-health-check';
import { strictService, type UndecodableHandler } from './strict-service.js';

export interface GrpcServiceBinding {
  /** Fully qualified name for grpc.health.v1, e.g. "msi.ingest.v1.IngestService". */
  readonly name: string;
  readonly definition: ServiceDefinition;
  readonly implementation: UntypedServiceImplementation;
  /**
   * Answers a call whose request body does not decode strictly (strict-service.ts): every request
   * is checked against its schema from proto/ before the implementation sees it.
   */
  readonly onUndecodable: UndecodableHandler;
}

export interface GrpcServerOptions {
  readonly host: string;
  readonly port: number;
  readonly credentials: ServerCredentials;
  readonly services: readonly GrpcServiceBinding[];
  /** Messages larger than this are refused with RESOURCE_EXHAUSTED by grpc-js itself. */
  readonly maxReceiveMessageBytes: number;
}

export interface RunningGrpcServer {
  readonly server: Server;
  readonly port: number;
  /** Sets the grpc.health.v1 status of every service and of the server as a whole (""). */
  setServing(serving: boolean): void;
  /** Graceful: stops accepting calls, lets running ones finish for up to `graceMs`, then forces. */
  shutdown(graceMs: number): Promise<void>;
}

export async function startGrpcServer(options: GrpcServerOptions): Promise<RunningGrpcServer> {
  const server = new Server({
    'grpc.max_receive_message_length': options.maxReceiveMessageBytes,
    'grpc.keepalive_permit_without_calls': 1,
  });
  const health = new HealthImplementation({ '': 'NOT_SERVING' });
  health.addToServer(server);
  for (const service of options.services) {
    const strict = strictService(service.definition, service.implementation, service.onUndecodable);
    server.addService(strict.definition, strict.implementation);
    health.setStatus(service.name, 'NOT_SERVING');
  }
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${options.host}:${options.port}`, options.credentials, (error, bound) =>
      error ? reject(error) : resolve(bound),
    );
  });
  return {
    server,
    port,
    setServing(serving) {
      const status: ServingStatus = serving ? 'SERVING' : 'NOT_SERVING';
      health.setStatus('', status);
      for (const service of options.services) health.setStatus(service.name, status);
    },
    async shutdown(graceMs) {
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
    },
  };
}

export { ServerCredentials };
