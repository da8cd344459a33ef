import {
  Server,
  ServerCredentials,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { loadFileDescriptorSetFromBuffer } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { descriptors } from '@msi/proto';
import { HealthImplementation, type ServingStatus } from 'grpc-health-check';
import type { ServiceHealth } from './service-health.js';
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
  /** When given, grpc.health.v1 follows it (NOT_SERVING while a dependency is down); else setServing. */
  readonly health?: ServiceHealth;
}

export interface RunningGrpcServer {
  readonly server: Server;
  readonly port: number;
  /** Sets the grpc.health.v1 status of every service and of the server as a whole (""). */
  setServing(serving: boolean): void;
  /** Graceful: stops accepting calls, lets running ones finish for up to `graceMs`, then forces. */
  shutdown(graceMs: number): Promise<void>;
}

/**
 * Starts a gRPC server with the given services (every request decoded strictly first), grpc.health.v1
 * (`""` and each service; NOT_SERVING until told otherwise) and server reflection (v1 and v1alpha,
 * describing exactly these services from the schemas of proto/), so grpcurl works against it.
 */
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
  addReflection(
    server,
    options.services.map((s) => s.name),
  );
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${options.host}:${options.port}`, options.credentials, (error, bound) =>
      error ? reject(error) : resolve(bound),
    );
  });
  const setServing = (serving: boolean) => {
    const status: ServingStatus = serving ? 'SERVING' : 'NOT_SERVING';
    health.setStatus('', status);
    for (const service of options.services) health.setStatus(service.name, status);
  };
  options.health?.watch(setServing);
  return {
    server,
    port,
    setServing,
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

/** Server reflection for `services` (full names), from the FileDescriptorSet generated with the code. */
function addReflection(server: Server, services: string[]): void {
  const definition = loadFileDescriptorSetFromBuffer(
    Buffer.from(descriptors.fileDescriptorSetBase64, 'base64'),
    { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true },
  );
  new ReflectionService(definition, { services }).addToServer(server);
}

export { ServerCredentials };
