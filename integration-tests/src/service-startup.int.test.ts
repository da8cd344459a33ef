// How every service starts (@msi/service-kit runService): a bad setting is exit 2 naming the
// variable, from the real entry point (services/<name>/dist/main.js as a child process), whether it
// is a value the config reader refuses or a file it names that cannot be read or used; and every
// gRPC server (ingest, the verifier, the alerter) answers server reflection with its services.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client, credentials } from '@grpc/grpc-js';
import { generateNoteKey, NOTE_ALG_COSIGNATURE_V1 } from '@msi/core';
import { SupervisedProcess } from '@msi/stack';
import { repositoryRoot, useWorld } from '@msi/testkit';
import { afterAll, describe, expect, it } from 'vitest';

const LOG_KEY = generateNoteKey('test.calendar', new Uint8Array(32).fill(1)).verifierKey;
const WITNESS_KEY = generateNoteKey(
  'test.witness',
  new Uint8Array(32).fill(2),
  NOTE_ALG_COSIGNATURE_V1,
).signerKey;
/** A valid credentials file, so that the TLS files are what is wrong. */
const CREDENTIALS = join(mkdtempSync(join(tmpdir(), 'msi-startup-')), 'credentials.json');
writeFileSync(CREDENTIALS, '{"credentials":[]}');
afterAll(() => rmSync(dirname(CREDENTIALS), { recursive: true, force: true }));

/** Each service, a bad setting, the variable its refusal must name. */
const CASES: readonly (readonly [string, Record<string, string>, string])[] = [
  [
    'ingest',
    { MSI_INGEST_INSECURE: 'true', MSI_INGEST_CREDENTIALS_FILE: '/x', MSI_SHARDS: '0' },
    'MSI_SHARDS',
  ],
  [
    'ingest',
    {
      MSI_INGEST_INSECURE: 'true',
      MSI_INGEST_CREDENTIALS_FILE: '/x',
      MSI_INGEST_OPENLINEAGE_LISTEN: ':5000',
    },
    'MSI_INGEST_OPENLINEAGE_LISTEN',
  ],
  [
    'ingest',
    { MSI_INGEST_INSECURE: 'true', MSI_INGEST_CREDENTIALS_FILE: '/no/such/file' },
    'MSI_INGEST_CREDENTIALS_FILE',
  ],
  [
    'ingest',
    {
      MSI_INGEST_TLS_CERT: '/no/cert.pem',
      MSI_INGEST_TLS_KEY: '/no/key.pem',
      MSI_INGEST_CREDENTIALS_FILE: '/dev/null',
    },
    'MSI_INGEST_CREDENTIALS_FILE',
  ],
  ['aggregator', { MSI_AGGREGATOR_LEASE_TTL_MS: 'soon' }, 'MSI_AGGREGATOR_LEASE_TTL_MS'],
  [
    'calendar',
    { MSI_DATABASE_URL: 'postgres://x/y', MSI_CALENDAR_SIGNING_KEY: 'PRIVATE+KEY+nope' },
    'MSI_CALENDAR_SIGNING_KEY',
  ],
  [
    'calendar',
    { MSI_DATABASE_URL: 'postgres://x/y', MSI_CALENDAR_DEV_KEY_FILE: '/no/such/dir/key' },
    'MSI_CALENDAR_DEV_KEY_FILE',
  ],
  [
    'verifier',
    { MSI_VERIFIER_DATABASE_URL: 'postgres://x/y', MSI_VERIFIER_CALENDAR_KEY: 'nope' },
    'MSI_VERIFIER_CALENDAR_KEY',
  ],
  [
    'verifier',
    {
      MSI_VERIFIER_DATABASE_URL: 'postgres://x/y',
      MSI_VERIFIER_CALENDAR_KEY: LOG_KEY,
      MSI_VERIFIER_CREDENTIALS_FILE: '/no/such/file',
    },
    'MSI_VERIFIER_CREDENTIALS_FILE',
  ],
  [
    'alerter',
    {
      MSI_ALERTER_DATABASE_URL: 'postgres://x/y',
      MSI_ALERTER_CALENDAR_KEY: LOG_KEY,
      MSI_ALERTER_POLICY_FILE: '/no/such/policy.yaml',
    },
    'MSI_ALERTER_POLICY_FILE',
  ],
  [
    'alerter',
    {
      MSI_ALERTER_DATABASE_URL: 'postgres://x/y',
      MSI_ALERTER_CALENDAR_KEY: LOG_KEY,
      MSI_ALERTER_POLICY_FILE: '/x',
      MSI_ALERTER_SLA_CHECK_MS: '5',
    },
    'MSI_ALERTER_SLA_CHECK_MS',
  ],
  [
    'witness',
    {
      MSI_WITNESS_LISTEN: 'nowhere',
      MSI_WITNESS_KEY: WITNESS_KEY,
      MSI_WITNESS_LOGS: LOG_KEY,
      MSI_WITNESS_STATE_FILE: '/tmp/x',
    },
    'MSI_WITNESS_LISTEN',
  ],
  [
    'witness',
    {
      MSI_WITNESS_DEV_KEY_FILE: '/no/such/dir/key',
      MSI_WITNESS_LOGS: LOG_KEY,
      MSI_WITNESS_STATE_FILE: '/tmp/x',
    },
    'MSI_WITNESS_DEV_KEY_FILE',
  ],
  ['tiles', { MSI_TILES_LISTEN: 'nowhere', MSI_TILES_DIR: '/tmp' }, 'MSI_TILES_LISTEN'],
  ['tiles', {}, 'MSI_TILES_DIR'],
];

async function runMain(
  service: string,
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  const lines: string[] = [];
  const child = new SupervisedProcess({
    name: service,
    command: process.execPath,
    args: [join(repositoryRoot(), 'services', service, 'dist', 'main.js')],
    cwd: repositoryRoot(),
    env,
    onLine: (line) => lines.push(line.line),
  });
  child.start();
  const timer = setTimeout(() => child.signal('SIGKILL'), 20_000);
  const code = await child.exited();
  clearTimeout(timer);
  return { code, output: lines.join('\n') };
}

describe('a bad setting: exit 2 naming the variable, for every service', () => {
  it.each(CASES)('%s with %o names %s', async (service, env, variable) => {
    const { code, output } = await runMain(service, env);
    expect(code, output).toBe(2);
    const line = JSON.parse(output.trim().split('\n').at(-1) ?? '{}') as {
      msg?: string;
      problems?: string[];
    };
    expect(line.msg).toBe('invalid configuration');
    expect((line.problems ?? []).join('\n')).toContain(variable);
  });
});

// ---- server reflection on every gRPC server ----

const world = useWorld({
  label: 'startup',
  pipeline: {
    shards: 1,
    aggregators: 1,
    apiKeys: [{ key: 'startup-emitter', tenant: 'acme', principal: 'etl', roles: ['emitter'] }],
    verifier: true,
    alerter: { policyFile: join(repositoryRoot(), 'services/alerter/policies/default.yaml') },
  },
});

/** The service names a server lists through `version` reflection (a minimal grpc-js call, no stubs). */
function listServices(address: string, version: 'v1' | 'v1alpha'): Promise<string[]> {
  const client = new Client(address, credentials.createInsecure());
  const identity = (bytes: Buffer) => bytes;
  return new Promise((resolve, reject) => {
    const call = client.makeBidiStreamRequest(
      `/grpc.reflection.${version}.ServerReflection/ServerReflectionInfo`,
      identity,
      identity,
    );
    call.on('data', (response: Buffer) => {
      call.end();
      client.close();
      // ServerReflectionResponse.list_services_response (6) → ListServiceResponse.service (1) →
      // ServiceResponse.name (1).
      const names = fields(response, 6).flatMap((list) => fields(list, 1).flatMap((s) => fields(s, 1)));
      resolve(names.map((name) => name.toString('utf8')));
    });
    call.on('error', reject);
    call.write(Buffer.from([(7 << 3) | 2, 0])); // ServerReflectionRequest.list_services = ""
  });
}

/** The length-delimited fields numbered `wanted` of a protobuf message (varints skipped). */
function fields(message: Buffer, wanted: number): Buffer[] {
  const found: Buffer[] = [];
  let at = 0;
  const varint = () => {
    let value = 0;
    let shift = 0;
    for (;;) {
      const byte = message[at++] ?? 0;
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if (byte < 0x80) return value;
    }
  };
  while (at < message.length) {
    const tag = varint();
    if ((tag & 7) === 0) varint();
    else if ((tag & 7) === 2) {
      const length = varint();
      if (tag >>> 3 === wanted) found.push(message.subarray(at, at + length));
      at += length;
    } else throw new Error(`wire type ${tag & 7} not expected in a reflection answer`);
  }
  return found;
}

describe('server reflection on every gRPC server (grpcurl works against each)', () => {
  it.each([
    [
      'ingest',
      () => world.pipeline.ingestAddress,
      ['msi.ingest.v1.IngestService', 'msi.ingest.v1.ShardAdminService'],
    ],
    ['the verifier', () => world.pipeline.verifierAddress ?? '', ['msi.verifier.v1.VerifierService']],
    ['the alerter', () => world.pipeline.alerterAddress ?? '', ['msi.alerter.v1.AlerterService']],
  ])('%s lists its services (v1 and v1alpha)', async (_, address, services) => {
    await world.pipeline.waitUntilServing(60_000);
    for (const version of ['v1', 'v1alpha'] as const) {
      expect((await listServices(address(), version)).sort()).toEqual(services);
    }
  });
});
