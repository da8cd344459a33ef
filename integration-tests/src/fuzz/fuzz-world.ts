import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, Metadata } from '@grpc/grpc-js';
import { createClient, type EventInput, Events, hashBytes } from '@msi/client';
import { encodeImprint } from '@msi/core';
import { type receiptV1, verifierV1 } from '@msi/proto';
import { type Pipeline, startPipeline } from '@msi/stack';
import { freePort } from '@msi/testkit';

/** An API key of the fuzz world, and whose it is. */
export interface FuzzKey {
  readonly key: string;
  readonly tenant: string;
  readonly roles: readonly ('emitter' | 'auditor' | 'operator')[];
}

/** Two tenants that emit and audit, and an operator: what the fuzzer calls with (or without). */
export const FUZZ_KEYS: readonly FuzzKey[] = [
  { key: 'fuzz-acme-key', tenant: 'acme', roles: ['emitter', 'auditor'] },
  { key: 'fuzz-globex-key', tenant: 'globex', roles: ['emitter', 'auditor'] },
  { key: 'fuzz-ops-key', tenant: 'ops', roles: ['operator'] },
];

/** The data each tenant put in before the fuzzing starts, for inputs to aim at. */
export interface SeededData {
  /** Event ids of both tenants (a TRANSFER from acme to globex among them). */
  readonly eventIds: readonly Buffer[];
  /** Data imprints both tenants' events name. */
  readonly imprints: readonly Buffer[];
  /** A receipt the verifier served (acme's), for VerifyReceipt inputs to start from. */
  readonly receipt: receiptV1.Receipt;
  /** The calendar's verifier key. */
  readonly calendarKey: string;
}

export interface FuzzWorld {
  readonly addresses: { readonly ingest: string; readonly verifier: string; readonly alerter: string };
  readonly seeded: SeededData;
  readonly pipeline: Pipeline;
  /** Names of the pipeline's processes that are no longer running. */
  deadProcesses(): string[];
  /** Lines the processes logged at error level (the last 50). */
  errorLines(): readonly string[];
  stop(): Promise<void>;
}

export interface FuzzWorldOptions {
  readonly root: string;
  readonly natsUrl: string;
  /** A database of its own (the calendar, the verifier and the alerter each take a schema). */
  readonly databaseUrl: string;
  readonly prefix: string;
}

/**
 * The pipeline as processes (calendar, an aggregator, ingest, the verifier, the alerter with the
 * shipped policy), with acme and globex having stored, transferred and read some data.
 */
export async function startFuzzWorld(o: FuzzWorldOptions): Promise<FuzzWorld> {
  const workDir = await mkdtemp(join(tmpdir(), 'msi-fuzz-'));
  const errors: string[] = [];
  const pipeline = await startPipeline({
    root: o.root,
    workDir,
    natsUrl: o.natsUrl,
    databaseUrl: o.databaseUrl,
    prefix: o.prefix,
    shards: 2,
    roundIntervalMs: 300,
    aggregators: 1,
    ingestPort: await freePort(),
    verifierPort: await freePort(),
    alerter: { port: await freePort(), policyFile: join(o.root, 'services/alerter/policies/default.yaml') },
    apiKeys: FUZZ_KEYS.map((k) => ({
      key: k.key,
      tenant: k.tenant,
      principal: `${k.tenant}-fuzz`,
      roles: [...k.roles],
    })),
    logLevel: 'warn',
    onLine: ({ name, line }) => {
      if (!line.includes('"level":"error"')) return;
      errors.push(`${name} | ${line.slice(0, 500)}`);
      if (errors.length > 50) errors.shift();
    },
  });
  try {
    await pipeline.waitUntilServing(60_000);
    const addresses = {
      ingest: pipeline.ingestAddress,
      verifier: pipeline.verifierAddress ?? '',
      alerter: pipeline.alerterAddress ?? '',
    };
    const seeded = await seed(addresses, pipeline.verifierKey);
    return {
      addresses,
      seeded,
      pipeline,
      deadProcesses: () => [...pipeline.processes.entries()].filter(([, p]) => !p.running).map(([n]) => n),
      errorLines: () => errors,
      async stop() {
        await pipeline.stop();
        await rm(workDir, { recursive: true, force: true });
      },
    };
  } catch (error: unknown) {
    await pipeline.stop();
    await rm(workDir, { recursive: true, force: true });
    throw error;
  }
}

async function seed(addresses: FuzzWorld['addresses'], calendarKey: string): Promise<SeededData> {
  const [acme, globex] = FUZZ_KEYS;
  const x = hashBytes('fuzz/acme/customers.csv');
  const y = hashBytes('fuzz/globex/derived.parquet');
  const at = { actor: 'seed', source: { system: 'app', region: 'eu-west-1', host: 'h1' } };
  const emitted: { key: string; events: EventInput[] }[] = [
    {
      key: acme?.key ?? '',
      events: [Events.store({ ...at, data: x }), Events.transfer({ ...at, data: x, toTenant: 'globex' })],
    },
    {
      key: globex?.key ?? '',
      events: [
        Events.process({ ...at, data: y, inputs: [x], outputs: [y] }),
        Events.access({ ...at, data: y }),
      ],
    },
  ];
  const eventIds: Buffer[] = [];
  for (const { key, events } of emitted) {
    const client = createClient({ ingest: addresses.ingest, apiKey: key, insecure: true });
    try {
      for (const ack of await Promise.all(events.map((e) => client.emit(e))))
        eventIds.push(Buffer.from(ack.eventId));
    } finally {
      await client.close();
    }
  }
  const receipt = await receiptOf(addresses.verifier, acme?.key ?? '', eventIds[0] ?? Buffer.alloc(0));
  return {
    eventIds,
    imprints: [x, y].map((imprint) => Buffer.from(encodeImprint(imprint))),
    receipt,
    calendarKey,
  };
}

async function receiptOf(address: string, key: string, eventId: Buffer): Promise<receiptV1.Receipt> {
  const client = new verifierV1.VerifierServiceClient(address, credentials.createInsecure());
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${key}`);
  try {
    const response = await new Promise<verifierV1.GetReceiptResponse>((resolve, reject) =>
      client.getReceipt({ eventId, wait: true }, metadata, { deadline: Date.now() + 30_000 }, (error, r) =>
        error !== null || r === undefined ? reject(error) : resolve(r),
      ),
    );
    if (response.receipt === undefined) throw new Error('seeding: the receipt is empty');
    return response.receipt;
  } finally {
    client.close();
  }
}
