import { fileURLToPath } from 'node:url';
import type { Server } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';

/** The repository's proto directory (src/ and dist/ sit at the same depth). */
export const PROTO_ROOT = fileURLToPath(new URL('../../../proto/', import.meta.url));

/** The proto file describing the verifier's API, relative to the proto root. */
export const VERIFIER_PROTO = 'msi/verifier/v1/verifier.proto';

/**
 * Adds gRPC server reflection (grpc.reflection.v1 and v1alpha) describing msi.verifier.v1 and the
 * messages it imports. Precondition: `protoRoot` holds VERIFIER_PROTO and its imports.
 */
export function addReflection(server: Pick<Server, 'addService'>, protoRoot: string = PROTO_ROOT): void {
  const definition = loadSync(VERIFIER_PROTO, {
    includeDirs: [protoRoot],
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  new ReflectionService(definition).addToServer(server);
}
