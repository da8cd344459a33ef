import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { credentials as grpcCredentials, makeGenericClientConstructor } from '@grpc/grpc-js';
import {
  formatVerifierKey,
  generateNoteKey,
  NOTE_ALG_COSIGNATURE_V1,
  parseSignerKey,
  verifierKeyOf,
} from '@msi/core';
import { service as healthService } from 'grpc-health-check';
import type { RestartOptions } from './restarter.js';
import { type ProcessLine, SupervisedProcess } from './supervised-process.js';

export interface ApiKeyCredential {
  readonly key: string;
  readonly tenant: string;
  readonly principal: string;
  readonly roles: readonly ('emitter' | 'auditor' | 'operator')[];
}

/**
 * Node.js flags the services run with, the same as deploy/ runs them (deploy/test checks it);
 * options.nodeArgs come after, so they win. Ingest, the aggregators and the verifier allocate a
 * short-lived object graph per event; a 32 MiB young generation (semi-space; Node 20's default is
 * 16 MiB) lets far fewer of them live long enough to be copied — measured 45,259 → 57,250 sealed
 * events/s with two ingest processes (`bench:pipeline --ingests 2`), at ~90 MiB more RSS per ingest
 * (deploy/OPERATIONS.md, "Node.js heap").
 */
export const SERVICE_NODE_ARGS: Readonly<Record<string, readonly string[]>> = {
  ingest: ['--max-semi-space-size=32'],
  aggregator: ['--max-semi-space-size=32'],
  verifier: ['--max-semi-space-size=32'],
};

export interface PipelineOptions {
  /** The repository root (services run from services/<name>/dist/main.js). */
  readonly root: string;
  /** A directory the stack may write its files to (credentials, keys). */
  readonly workDir: string;
  readonly natsUrl: string;
  readonly databaseUrl: string;
  readonly prefix: string;
  readonly shards: number;
  readonly roundIntervalMs: number;
  readonly aggregators: number;
  readonly ingestPort: number;
  /**
   * More ingest processes (replicas), one per port, beside the first: `ingest-2`, `ingest-3`, … Each
   * is a full ingest on the same streams (the claims stream keeps ids unique across them), the way an
   * operator runs several behind a load balancer or on a machine's cores.
   */
  readonly moreIngestPorts?: readonly number[];
  /** Also run the verifier (projection + auditors' API) on this port. */
  readonly verifierPort?: number;
  /** Also run the alerter (policy, custody and integrity alerts) on this port, with this policy file. */
  readonly alerter?: { readonly port: number; readonly policyFile: string };
  /**
   * Also run the console (the auditors' web app and its HTTP/JSON API) on this port; it needs the
   * verifier and the alerter.
   */
  readonly consolePort?: number;
  /**
   * Witnesses to run, each with its own key and state (`key` a `PRIVATE+KEY+…` 0x04 signer key;
   * generated when absent). The calendar submits every checkpoint to them; the verifier checks
   * their cosignature lines.
   */
  readonly witnesses?: readonly { readonly name: string; readonly port: number; readonly key?: string }[];
  /**
   * Also serve the calendar as a C2SP tlog-tiles log on this port: the calendar writes it into
   * `<workDir>/tiles-<prefix>` as rounds anchor, the tiles service serves that directory.
   */
  readonly tilesPort?: number;
  /** Also serve ingest's OpenLineage endpoint (`POST /api/v1/lineage`, docs/OPENLINEAGE.md) on this port. */
  readonly openLineagePort?: number;
  readonly apiKeys: readonly ApiKeyCredential[];
  /** The calendar's signer key (`PRIVATE+KEY+…`); generated (dev) when absent. */
  readonly signingKey?: string;
  /** Checkpoint origin for a generated key. */
  readonly origin?: string;
  readonly logLevel?: 'debug' | 'info' | 'warn' | 'error';
  readonly onLine?: (line: ProcessLine) => void;
  /** Extra Node.js flags per service name (e.g. `--cpu-prof`, `--max-old-space-size=4096`). */
  readonly nodeArgs?: Readonly<Record<string, readonly string[]>>;
  /** Extra environment per service name (e.g. limits for a benchmark). */
  readonly extraEnv?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Run each service in its own process group (see SupervisedProcessOptions.detached). */
  readonly detached?: boolean;
  /**
   * Start a service again when it exits without stop() — a crash, a kill — with backoff; one that
   * exits 2 (bad configuration) stays down (see restart-policy.ts). The calendar then runs under a
   * fixed instance id (its process name), so a restarted calendar takes its own writer lease back at
   * once. Absent (the default): a process that exits stays down, as the tests that kill one on
   * purpose (takeover, replay, an alerter killed mid-stream) want.
   */
  readonly restart?: RestartOptions;
}

export interface Pipeline {
  readonly ingestAddress: string;
  /** Every ingest process's address: the first is ingestAddress, then moreIngestPorts' in order. */
  readonly ingestAddresses: readonly string[];
  /** The verifier's address, when it runs. */
  readonly verifierAddress: string | undefined;
  /** The alerter's address, when it runs. */
  readonly alerterAddress: string | undefined;
  /** The base URL of the calendar's tlog-tiles log (`<url>checkpoint`, `<url>tile/…`), when served. */
  readonly tilesUrl: string | undefined;
  /** The console's URL (`http://127.0.0.1:<port>`), when it runs. */
  readonly consoleUrl: string | undefined;
  /** Ingest's OpenLineage endpoint (`http://127.0.0.1:<port>/api/v1/lineage`), when it serves. */
  readonly openLineageUrl: string | undefined;
  /** The calendar's verifier key (`<origin>+<id>+<base64>`): what auditors trust. */
  readonly verifierKey: string;
  /** The witnesses' verifier keys and URLs, in the order given. */
  readonly witnesses: readonly {
    readonly name: string;
    readonly url: string;
    readonly verifierKey: string;
  }[];
  readonly signingKey: string;
  readonly processes: ReadonlyMap<string, SupervisedProcess>;
  process(name: string): SupervisedProcess;
  /** Waits until ingest (and the verifier, when it runs) report SERVING on grpc.health.v1. */
  waitUntilServing(timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts the anchoring pipeline — calendar, aggregators and ingest, optionally the verifier, the
 * alerter and witnesses — as real processes, the way
 * operators run them (one process per service, configured by environment variables).
 */
export async function startPipeline(options: PipelineOptions): Promise<Pipeline> {
  const signingKey =
    options.signingKey ??
    generateNoteKey(options.origin ?? 'msi.dev/calendar', crypto.getRandomValues(new Uint8Array(32)))
      .signerKey;
  const verifierKey = formatVerifierKey(verifierKeyOf(parseSignerKey(signingKey)));
  const credentialsFile = join(options.workDir, `ingest-credentials-${options.prefix}.json`);
  await writeFile(
    credentialsFile,
    JSON.stringify({
      credentials: options.apiKeys.map((c) => ({
        key: c.key,
        tenant: c.tenant,
        principal: c.principal,
        roles: c.roles,
      })),
    }),
    { mode: 0o600 },
  );
  const common = {
    MSI_NATS_URL: options.natsUrl,
    MSI_PREFIX: options.prefix,
    MSI_SHARDS: String(options.shards),
    MSI_ROUND_INTERVAL_MS: String(options.roundIntervalMs),
    MSI_LOG_LEVEL: options.logLevel ?? 'info',
  };
  const onLine = options.onLine ?? (() => {});
  const processes = new Map<string, SupervisedProcess>();
  const add = (name: string, service: string, env: Record<string, string>) => {
    processes.set(
      name,
      new SupervisedProcess({
        name,
        command: process.execPath,
        args: [
          ...(SERVICE_NODE_ARGS[service] ?? []),
          ...(options.nodeArgs?.[name] ?? options.nodeArgs?.[service] ?? []),
          join(options.root, 'services', service, 'dist', 'main.js'),
        ],
        cwd: options.root,
        env: {
          ...common,
          ...env,
          ...(options.extraEnv?.[service] ?? {}),
          ...(options.extraEnv?.[name] ?? {}),
        },
        onLine,
        detached: options.detached === true,
        ...(options.restart === undefined ? {} : { restart: options.restart }),
      }),
    );
  };
  const witnesses = (options.witnesses ?? []).map((w) => {
    const key =
      w.key ??
      generateNoteKey(w.name, crypto.getRandomValues(new Uint8Array(32)), NOTE_ALG_COSIGNATURE_V1).signerKey;
    return {
      name: w.name,
      url: `http://127.0.0.1:${w.port}`,
      port: w.port,
      key,
      verifierKey: formatVerifierKey(verifierKeyOf(parseSignerKey(key))),
    };
  });
  for (const witness of witnesses) {
    add(witness.name, 'witness', {
      MSI_WITNESS_LISTEN: `127.0.0.1:${witness.port}`,
      MSI_WITNESS_KEY: witness.key,
      MSI_WITNESS_LOGS: verifierKey,
      MSI_WITNESS_STATE_FILE: join(options.workDir, `${witness.name}-${options.prefix}.state.json`),
    });
  }
  const tilesDir = join(options.workDir, `tiles-${options.prefix}`);
  const tilesUrl = options.tilesPort === undefined ? undefined : `http://127.0.0.1:${options.tilesPort}/`;
  if (options.tilesPort !== undefined) {
    add('tiles', 'tiles', { MSI_TILES_LISTEN: `127.0.0.1:${options.tilesPort}`, MSI_TILES_DIR: tilesDir });
  }
  // Metrics off (port 0) everywhere: several processes of one service never collide.
  add('calendar', 'calendar', {
    MSI_DATABASE_URL: options.databaseUrl,
    MSI_CALENDAR_SIGNING_KEY: signingKey,
    MSI_CALENDAR_METRICS_PORT: '0',
    ...(options.tilesPort === undefined ? {} : { MSI_CALENDAR_TILES_DIR: tilesDir }),
    ...(options.restart === undefined ? {} : { MSI_CALENDAR_INSTANCE_ID: 'calendar' }),
    ...(witnesses.length === 0
      ? {}
      : { MSI_CALENDAR_WITNESSES: witnesses.map((w) => `${w.url}=${w.verifierKey}`).join(',') }),
  });
  for (let i = 1; i <= options.aggregators; i++) {
    add(`aggregator-${i}`, 'aggregator', {
      MSI_AGGREGATOR_ID: `aggregator-${i}`,
      MSI_AGGREGATOR_METRICS_PORT: '0',
    });
  }
  const ingestAddress = `127.0.0.1:${options.ingestPort}`;
  const openLineageUrl =
    options.openLineagePort === undefined
      ? undefined
      : `http://127.0.0.1:${options.openLineagePort}/api/v1/lineage`;
  const ingestAddresses = [options.ingestPort, ...(options.moreIngestPorts ?? [])].map(
    (port) => `127.0.0.1:${port}`,
  );
  ingestAddresses.forEach((address, i) => {
    add(i === 0 ? 'ingest' : `ingest-${i + 1}`, 'ingest', {
      MSI_INGEST_LISTEN: address,
      ...(options.openLineagePort === undefined || i > 0
        ? {}
        : { MSI_INGEST_OPENLINEAGE_LISTEN: `127.0.0.1:${options.openLineagePort}` }),
      MSI_INGEST_INSECURE: 'true',
      MSI_INGEST_CREDENTIALS_FILE: credentialsFile,
      MSI_INGEST_METRICS_PORT: '0',
    });
  });
  const verifierAddress =
    options.verifierPort === undefined ? undefined : `127.0.0.1:${options.verifierPort}`;
  if (options.verifierPort !== undefined) {
    add('verifier', 'verifier', {
      MSI_VERIFIER_DATABASE_URL: options.databaseUrl,
      MSI_VERIFIER_CALENDAR_KEY: verifierKey,
      MSI_VERIFIER_CREDENTIALS_FILE: credentialsFile,
      MSI_VERIFIER_HOST: '127.0.0.1',
      MSI_VERIFIER_PORT: String(options.verifierPort),
      MSI_VERIFIER_METRICS_PORT: '0',
      ...(witnesses.length === 0
        ? {}
        : { MSI_VERIFIER_WITNESS_KEYS: witnesses.map((w) => w.verifierKey).join(',') }),
    });
  }
  const alerterAddress = options.alerter === undefined ? undefined : `127.0.0.1:${options.alerter.port}`;
  if (options.alerter !== undefined) {
    add('alerter', 'alerter', {
      MSI_ALERTER_DATABASE_URL: options.databaseUrl,
      MSI_ALERTER_CALENDAR_KEY: verifierKey,
      MSI_ALERTER_POLICY_FILE: options.alerter.policyFile,
      MSI_ALERTER_CREDENTIALS_FILE: credentialsFile,
      MSI_ALERTER_HOST: '127.0.0.1',
      MSI_ALERTER_PORT: String(options.alerter.port),
      MSI_ALERTER_METRICS_PORT: '0',
    });
  }
  const consoleUrl =
    options.consolePort === undefined || verifierAddress === undefined || alerterAddress === undefined
      ? undefined
      : `http://127.0.0.1:${options.consolePort}`;
  if (consoleUrl !== undefined && verifierAddress !== undefined && alerterAddress !== undefined) {
    // Its gRPC calls carry each browser's own API key: the verifier and alerter authorize them.
    add('console', 'console', {
      MSI_CONSOLE_LISTEN: `127.0.0.1:${options.consolePort}`,
      MSI_CONSOLE_VERIFIER_ADDRESS: verifierAddress,
      MSI_CONSOLE_ALERTER_ADDRESS: alerterAddress,
      MSI_CONSOLE_UPSTREAM_INSECURE: 'true',
      MSI_CONSOLE_METRICS_PORT: '0',
    });
  }
  for (const child of processes.values()) child.start();

  return {
    ingestAddress,
    ingestAddresses,
    verifierAddress,
    alerterAddress,
    tilesUrl,
    consoleUrl,
    openLineageUrl,
    verifierKey,
    witnesses: witnesses.map(({ name, url, verifierKey: key }) => ({ name, url, verifierKey: key })),
    signingKey,
    processes,
    process(name) {
      const found = processes.get(name);
      if (found === undefined) throw new Error(`no process ${name}`);
      return found;
    },
    async waitUntilServing(timeoutMs) {
      for (const address of ingestAddresses) await waitForHealth(address, timeoutMs);
      if (verifierAddress !== undefined) await waitForHealth(verifierAddress, timeoutMs);
      if (alerterAddress !== undefined) await waitForHealth(alerterAddress, timeoutMs);
      if (consoleUrl !== undefined) await waitForHttp(`${consoleUrl}/healthz`, timeoutMs);
    },
    async stop() {
      await Promise.all([...processes.values()].map((child) => child.stop()));
    },
  };
}

const HealthClient = makeGenericClientConstructor(healthService, 'Health');

interface HealthCheckClient {
  Check(
    request: { service: string },
    options: { deadline: number },
    callback: (error: Error | null, response?: { status?: string | number }) => void,
  ): void;
  close(): void;
}

/** Polls an HTTP health URL until it answers 200 or the deadline. */
export async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
}

/** Polls grpc.health.v1 Check("") until SERVING or the deadline. */
export async function waitForHealth(address: string, timeoutMs: number): Promise<void> {
  const client = new HealthClient(address, grpcCredentials.createInsecure()) as unknown as HealthCheckClient;
  const deadline = Date.now() + timeoutMs;
  try {
    while (Date.now() < deadline) {
      const status = await new Promise<string | number | undefined>((resolve) => {
        client.Check({ service: '' }, { deadline: Date.now() + 1000 }, (error, response) =>
          resolve(error === null ? response?.status : undefined),
        );
      });
      if (status === 'SERVING' || status === 1) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`${address} did not report SERVING within ${timeoutMs} ms`);
  } finally {
    client.close();
  }
}
