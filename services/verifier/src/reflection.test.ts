import { fileURLToPath } from 'node:url';
import {
  credentials,
  type GrpcObject,
  loadPackageDefinition,
  Server,
  ServerCredentials,
  type ServiceClientConstructor,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addReflection } from './reflection.js';

// The reflection client is built from the proto shipped by @grpc/reflection, not from our code.
const reflectionProto = fileURLToPath(
  new URL(
    '../node_modules/@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto',
    import.meta.url,
  ),
);

interface ReflectionResponse {
  list_services_response?: { service: { name: string }[] };
  file_descriptor_response?: { file_descriptor_proto: Buffer[] };
  error_response?: { error_code: number };
}

let server: Server;
let port: number;

beforeAll(async () => {
  server = new Server();
  addReflection(server);
  port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
});

afterAll(() => server.forceShutdown());

function ask(request: Record<string, unknown>): Promise<ReflectionResponse> {
  const pkg = loadPackageDefinition(loadSync(reflectionProto, { keepCase: true, oneofs: true }));
  const v1 = ((pkg.grpc as GrpcObject).reflection as GrpcObject).v1 as GrpcObject;
  const Client = v1.ServerReflection as ServiceClientConstructor;
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  return new Promise((resolve, reject) => {
    const open = client.ServerReflectionInfo;
    if (open === undefined) throw new Error('the reflection client has no ServerReflectionInfo');
    const stream = open.call(client);
    stream.on('data', (response: ReflectionResponse) => {
      resolve(response);
      stream.end();
      client.close();
    });
    stream.on('error', reject);
    stream.write(request);
  });
}

describe('gRPC server reflection', () => {
  it('lists msi.verifier.v1.VerifierService', async () => {
    const response = await ask({ list_services: '' });
    const names = response.list_services_response?.service.map((s) => s.name) ?? [];
    expect(names).toContain('msi.verifier.v1.VerifierService');
  });

  it('describes the service and its messages by symbol', async () => {
    const response = await ask({ file_containing_symbol: 'msi.verifier.v1.GetReceiptRequest' });
    const files = response.file_descriptor_response?.file_descriptor_proto ?? [];
    expect(files.length).toBeGreaterThan(0);
    const text = Buffer.concat(files).toString('latin1');
    expect(text).toContain('msi.verifier.v1');
    expect(text).toContain('GetReceiptRequest');
    expect(text).toContain('VerifierService');
  });

  it('answers NOT_FOUND for an unknown symbol', async () => {
    const response = await ask({ file_containing_symbol: 'no.such.Service' });
    expect(response.error_response?.error_code).toBe(5);
  });
});
