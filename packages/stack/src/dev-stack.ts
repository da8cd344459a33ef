import { randomBytes } from 'node:crypto';
import { constants, existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateNoteKey, NOTE_ALG_COSIGNATURE_V1 } from '@msi/core';
import pg from 'pg';
import { type EmbeddedNats, findNatsServer, startEmbeddedNats } from './embedded-nats.js';
import { type EmbeddedPostgresServer, startEmbeddedPostgres } from './embedded-postgres.js';
import { freePort } from './free-port.js';
import { installNatsServer } from './install-nats.js';
import { type ApiKeyCredential, type Pipeline, startPipeline } from './pipeline.js';
import type { RestartOptions, SupervisionEvent } from './restarter.js';
import type { ProcessLine } from './supervised-process.js';
import { describeSupervisionEvent } from './supervision-text.js';

export interface DevStackOptions {
  /** The repository root. */
  readonly root: string;
  /** Where embedded servers, keys and credentials live; state survives restarts. */
  readonly dataDir: string;
  /** Use this NATS server instead of an embedded one. */
  readonly natsUrl?: string;
  /** Use this Postgres database instead of an embedded one. */
  readonly databaseUrl?: string;
  readonly ingestPort?: number;
  readonly verifierPort?: number;
  /** The alerter's gRPC port (default 50054 when free, else a free port). */
  readonly alerterPort?: number;
  /** The calendar's tlog-tiles server (default 7390, or a free port). */
  readonly tilesPort?: number;
  /** The console's HTTP port (default 8080 when free, else a free port). */
  readonly consolePort?: number;
  /** Ingest's OpenLineage endpoint (default 5000 when free, else a free port). */
  readonly openLineagePort?: number;
  readonly shards?: number;
  readonly aggregators?: number;
  readonly roundIntervalMs?: number;
  readonly onLine?: (line: ProcessLine) => void;
  /** Progress lines of the stack itself (e.g. installing nats-server); default stdout. */
  readonly say?: (line: string) => void;
  /**
   * Told when a service or an embedded server dies, is restarted, or is left down (exit 2: bad
   * configuration); default: a line to `say`.
   */
  readonly onSupervision?: (event: SupervisionEvent) => void;
  /** The restart policy and clock (tests); default restart-policy.ts's and the system clock. */
  readonly restart?: Omit<RestartOptions, 'onEvent'>;
}

export interface DevStack {
  readonly pipeline: Pipeline;
  readonly natsUrl: string;
  readonly databaseUrl: string;
  readonly prefix: string;
  readonly apiKeys: readonly ApiKeyCredential[];
  /** The alerter's policy file (`<dataDir>/policy.yaml`, a copy of the shipped one; hot-reloaded). */
  readonly policyFile: string;
  /** A key with the operator role (sees and acknowledges every alert). */
  readonly operatorKey: ApiKeyCredential;
  readonly origin: { nats: string; postgres: string };
  /** The servers the stack runs itself (undefined where a URL was given). */
  readonly embedded: {
    readonly nats: EmbeddedNats | undefined;
    readonly postgres: EmbeddedPostgresServer | undefined;
  };
  stop(): Promise<void>;
}

const DEV_ORIGIN = 'msi.dev/calendar';

/** The alerter's shipped policy, relative to the repository root. */
const SHIPPED_POLICY = join('services', 'alerter', 'policies', 'default.yaml');

/**
 * Development mode: everything on this machine. Embedded nats-server and Postgres where no server is
 * configured (free loopback ports, data under `dataDir`), a calendar signing key and API keys
 * generated once into `dataDir` (dev keys: never use them in production; one of them has the
 * operator role), the shipped alerter policy copied once to `dataDir/policy.yaml` (edit it there:
 * the alerter reloads it), then the pipeline with the verifier, a witness and the alerter.
 *
 * The services run in their own process groups and the embedded servers under detached keeper
 * processes (server-keeper.ts), so a terminal's Ctrl-C reaches none of them: stop() stops the
 * services first (one SIGTERM each, and waits for them), then NATS, then Postgres. If this process
 * dies, the keepers stop their servers by themselves.
 *
 * Everything is supervised: a service that exits unasked is started again with backoff (one that
 * exits 2, a bad configuration, is left down and the rest keeps running), and so is an embedded
 * server, on the same port with the same data; each death and restart goes to `onSupervision`.
 * stop() cancels a restart under way before it stops anything.
 */
export async function startDevStack(options: DevStackOptions): Promise<DevStack> {
  // 0755: the embedded Postgres runs as its own OS user when started as root and must reach its
  // directory; the key and credential files inside are 0600.
  await mkdir(options.dataDir, { recursive: true, mode: 0o755 });
  // An existing directory keeps its mode (mkdtemp makes 0700): as root, open it to that user. Where
  // a directory above it is closed to that user too (root's home, `mktemp -d`/msi), the cluster is
  // kept in a shelter and dataDir/postgres links to it (cluster-placement.ts).
  if (process.getuid?.() === 0) await chmod(options.dataDir, 0o755);
  const say = options.say ?? ((line: string) => process.stdout.write(`${line}\n`));
  const restart: RestartOptions = {
    ...options.restart,
    onEvent: options.onSupervision ?? ((event) => say(`${event.name}: ${describeSupervisionEvent(event)}`)),
  };
  const embedded: { nats: EmbeddedNats | undefined; postgres: EmbeddedPostgresServer | undefined } = {
    nats: undefined,
    postgres: undefined,
  };
  // Stopped in this order: the pipeline (unshifted below), then NATS, then Postgres.
  const stops: Array<() => Promise<void>> = [];
  try {
    let natsUrl = options.natsUrl;
    const origin = { nats: 'MSI_NATS_URL', postgres: 'MSI_DATABASE_URL' };
    if (natsUrl === undefined) {
      try {
        findNatsServer();
      } catch {
        installNatsServer(say);
      }
      const nats = await startEmbeddedNats({
        storeDir: join(options.dataDir, 'nats'),
        isolated: true,
        restart,
      });
      embedded.nats = nats;
      natsUrl = nats.url;
      stops.push(nats.stop);
      origin.nats = `embedded nats-server (${join(options.dataDir, 'nats')})`;
    }
    let databaseUrl = options.databaseUrl;
    if (databaseUrl === undefined) {
      const postgres = await startEmbeddedPostgres({
        dataDir: join(options.dataDir, 'postgres'),
        isolated: true,
        restart,
      });
      embedded.postgres = postgres;
      stops.push(postgres.stop);
      databaseUrl = await ensureDatabase(postgres.url, 'msi');
      origin.postgres =
        postgres.linkedFrom === undefined
          ? `embedded Postgres 17 (${postgres.dataDir})`
          : `embedded Postgres 17 (${postgres.dataDir}, linked from ${postgres.linkedFrom})`;
    }
    const signingKey = await devSigningKey(join(options.dataDir, 'calendar.key'));
    const apiKeys = await devApiKeys(join(options.dataDir, 'api-keys.json'));
    const witnessKey = await devWitnessKey(join(options.dataDir, 'witness.key'));
    const policyFile = await devPolicyFile(options.root, join(options.dataDir, 'policy.yaml'));
    const operatorKey = apiKeys.find((k) => k.roles.includes('operator'));
    if (operatorKey === undefined) throw new Error('unreachable: devApiKeys ensures an operator key');
    const pipeline = await startPipeline({
      root: options.root,
      workDir: options.dataDir,
      natsUrl,
      databaseUrl,
      prefix: 'msi',
      shards: options.shards ?? 4,
      roundIntervalMs: options.roundIntervalMs ?? 1000,
      aggregators: options.aggregators ?? 2,
      ingestPort: options.ingestPort ?? ((await isFree(50051)) ? 50051 : await freePort()),
      verifierPort: options.verifierPort ?? ((await isFree(50052)) ? 50052 : await freePort()),
      tilesPort: options.tilesPort ?? ((await isFree(7390)) ? 7390 : await freePort()),
      openLineagePort: options.openLineagePort ?? ((await isFree(5000)) ? 5000 : await freePort()),
      apiKeys,
      signingKey,
      witnesses: [{ name: 'witness', port: (await isFree(7380)) ? 7380 : await freePort(), key: witnessKey }],
      alerter: {
        port: options.alerterPort ?? ((await isFree(50054)) ? 50054 : await freePort()),
        policyFile,
      },
      consolePort: options.consolePort ?? ((await isFree(8080)) ? 8080 : await freePort()),
      // Development: a publication every minute instead of daily, so one can be tried right away.
      extraEnv: { calendar: { MSI_CALENDAR_PUBLICATION_INTERVAL_MS: '60000' } },
      // A terminal's Ctrl-C reaches this process only: stop() signals each service once.
      detached: true,
      restart,
      ...(options.onLine === undefined ? {} : { onLine: options.onLine }),
    });
    stops.unshift(() => pipeline.stop());
    return {
      pipeline,
      natsUrl,
      databaseUrl,
      prefix: 'msi',
      apiKeys,
      policyFile,
      operatorKey,
      origin,
      embedded,
      async stop() {
        for (const stop of stops) await stop().catch(() => {});
      },
    };
  } catch (error: unknown) {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    throw error;
  }
}

async function ensureDatabase(adminUrl: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function devSigningKey(file: string): Promise<string> {
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const key = generateNoteKey(DEV_ORIGIN, new Uint8Array(randomBytes(32))).signerKey;
  await writeFile(file, `${key}\n`, { mode: 0o600 });
  return key;
}

async function devWitnessKey(file: string): Promise<string> {
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const key = generateNoteKey(
    'msi.dev/witness',
    new Uint8Array(randomBytes(32)),
    NOTE_ALG_COSIGNATURE_V1,
  ).signerKey;
  await writeFile(file, `${key}\n`, { mode: 0o600 });
  return key;
}

/** Copies the shipped policy to `file` unless it exists (the user's edits are kept). */
async function devPolicyFile(root: string, file: string): Promise<string> {
  try {
    await copyFile(join(root, SHIPPED_POLICY), file, constants.COPYFILE_EXCL);
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return file;
}

/**
 * The dev API keys from `file`, generated on first start (acme and globex emit and audit; `ops`
 * operates). A file written before the alerter existed has no operator key: one is added.
 */
async function devApiKeys(file: string): Promise<ApiKeyCredential[]> {
  const key = () => `msi_dev_${randomBytes(18).toString('base64url')}`;
  const existing = existsSync(file)
    ? (JSON.parse(await readFile(file, 'utf8')) as ApiKeyCredential[])
    : undefined;
  const keys: ApiKeyCredential[] = existing ?? [
    { key: key(), tenant: 'acme', principal: 'acme-pipeline', roles: ['emitter', 'auditor'] },
    { key: key(), tenant: 'globex', principal: 'globex-pipeline', roles: ['emitter', 'auditor'] },
  ];
  const hasOperator = keys.some((k) => k.roles.includes('operator'));
  if (!hasOperator) keys.push({ key: key(), tenant: 'ops', principal: 'dev-operator', roles: ['operator'] });
  if (existing === undefined || !hasOperator) {
    await writeFile(file, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
  }
  return keys;
}

async function isFree(port: number): Promise<boolean> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
