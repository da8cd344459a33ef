#!/usr/bin/env node
// grpc.health.v1 probe for container healthchecks: `node deploy/grpc-health.mjs <host:port> [service]`.
// Exits 0 when the server answers SERVING, 1 otherwise (NOT_SERVING, unreachable, timeout). Plaintext by
// default; MSI_HEALTH_TLS=1 uses TLS with the system roots (or MSI_HEALTH_CA, a PEM file) — the
// probe then checks the certificate like any client. The request and response are encoded by hand
// (HealthCheckRequest { string service = 1 }, HealthCheckResponse { ServingStatus status = 1 }) so
// the probe needs only @grpc/grpc-js, resolved from the ingest service's dependencies.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [target, service = ''] = process.argv.slice(2);
if (target === undefined) {
  console.error('usage: node deploy/grpc-health.mjs <host:port> [service]');
  process.exit(2);
}
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const grpc = createRequire(join(root, 'services/ingest/package.json'))('@grpc/grpc-js');
const credentials =
  process.env.MSI_HEALTH_TLS === '1'
    ? grpc.credentials.createSsl(process.env.MSI_HEALTH_CA ? readFileSync(process.env.MSI_HEALTH_CA) : null)
    : grpc.credentials.createInsecure();
const name = Buffer.from(service, 'utf8');
if (name.length > 127) {
  console.error('health: service names longer than 127 bytes are not supported');
  process.exit(2);
}
const request = name.length === 0 ? Buffer.alloc(0) : Buffer.concat([Buffer.from([0x0a, name.length]), name]);
const options = process.env.MSI_HEALTH_SERVER_NAME
  ? { 'grpc.ssl_target_name_override': process.env.MSI_HEALTH_SERVER_NAME }
  : {};
const client = new grpc.Client(target, credentials, options);
client.makeUnaryRequest(
  '/grpc.health.v1.Health/Check',
  (body) => body,
  (bytes) => bytes,
  request,
  new grpc.Metadata(),
  { deadline: Date.now() + 3000 },
  (error, response) => {
    client.close();
    // SERVING = 1: the response is field 1 (varint) = 1, i.e. the bytes 08 01.
    const serving = !error && response.length === 2 && response[0] === 0x08 && response[1] === 0x01;
    if (!serving)
      console.error(error ? `health: ${error.message}` : `health: status bytes ${response.toString('hex')}`);
    process.exit(serving ? 0 : 1);
  },
);
