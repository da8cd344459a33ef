import { createFileRegistry, type DescMessage, type FileRegistry, fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { descriptors } from '@msi/proto';

let registry: FileRegistry | undefined;

/** The schemas of every message and service under proto/ (generated with the code, read once). */
export function protoRegistry(): FileRegistry {
  registry ??= createFileRegistry(
    fromBinary(FileDescriptorSetSchema, Buffer.from(descriptors.fileDescriptorSetBase64, 'base64')),
  );
  return registry;
}

/** The request message of a gRPC method, by its path (`/msi.ingest.v1.IngestService/Submit`). */
export function requestSchemaOf(path: string): DescMessage {
  const match = /^\/([^/]+)\/([^/]+)$/.exec(path);
  const service = match === null ? undefined : protoRegistry().getService(match[1] ?? '');
  const method = service?.methods.find((m) => m.name === match?.[2]);
  if (method === undefined) throw new Error(`no method ${path} in proto/ (run pnpm proto:gen)`);
  return method.input;
}
