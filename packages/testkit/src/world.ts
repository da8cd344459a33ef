import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectNats } from '@msi/nats';
import {
  type ApiKeyCredential,
  freePort,
  type Pipeline,
  type PipelineOptions,
  startPipeline,
} from '@msi/stack';
import { afterAll, beforeAll } from 'vitest';
import { repositoryRoot } from './build-once.js';
import {
  createFreshDatabase,
  deleteNatsNamespace,
  type FreshDatabase,
  testServerUrls,
  uniquePrefix,
} from './namespace.js';

type NatsConnection = Awaited<ReturnType<typeof connectNats>>;

/** The pipeline a world runs: the services, their keys and settings; ports are picked free. */
export interface WorldPipeline {
  readonly apiKeys: readonly ApiKeyCredential[];
  /** Default 2. */
  readonly shards?: number;
  /** Default 500 ms. */
  readonly roundIntervalMs?: number;
  /** Default 1. */
  readonly aggregators?: number;
  /** Ingest processes (replicas on one claims stream): `pipeline.ingestAddresses`. Default 1. */
  readonly ingests?: number;
  /**
   * Start a service again when it exits without stop(), as compose and Kubernetes do (the stack's
   * restart policy). Absent: a process that exits stays down.
   */
  readonly restart?: PipelineOptions['restart'];
  /** Also run the verifier. */
  readonly verifier?: boolean;
  /** Also write and serve the calendar as tlog-tiles (`pipeline.tilesUrl`). */
  readonly tiles?: boolean;
  /** Also run the alerter, with this policy file. */
  readonly alerter?: { readonly policyFile: string };
  /** Also run these witnesses (keys generated). */
  readonly witnesses?: readonly string[];
  /** Also run the console (needs the verifier and the alerter). */
  readonly console?: boolean;
  /** Also serve ingest's OpenLineage endpoint (pipeline.openLineageUrl). */
  readonly openLineage?: boolean;
  /** The calendar's signer key; generated when absent. */
  readonly signingKey?: string;
  readonly extraEnv?: PipelineOptions['extraEnv'];
  /**
   * Run against this NATS instead of the test servers' (a server private to the test, e.g. a
   * cluster it started in `pipeline`): its streams are not deleted afterwards, they go with it.
   */
  readonly natsUrl?: string;
  /** How long the services may take to report SERVING. Default 60 s. */
  readonly servingTimeoutMs?: number;
}

export interface WorldOptions {
  /** Names the world's database (`<label>_<hex>`) and work directory (`msi-<label>-…`). */
  readonly label: string;
  /**
   * A fixed prefix instead of a unique one: only with a NATS server private to the test (the
   * pipeline's `natsUrl`), never on the shared test servers.
   */
  readonly prefix?: string;
  /** A fresh database. Default: when there is a pipeline. */
  readonly database?: boolean;
  /** Open a NATS connection to the world's server (`world.nc`). Default false. */
  readonly nats?: boolean;
  /**
   * Start the pipeline. A function runs first, with the world's prefix, work directory, database
   * and `defer` ready: to write a policy file, start a receiver or a cluster, and say what to run.
   */
  readonly pipeline?: WorldPipeline | ((world: TestWorld) => WorldPipeline | Promise<WorldPipeline>);
  /** The beforeAll timeout. Default 120 s. */
  readonly startTimeoutMs?: number;
}

/** What an integration test runs against, from its beforeAll to its afterAll. */
export interface TestWorld {
  /** The world's namespace (streams, subjects, buckets hang off it); known at once. */
  readonly prefix: string;
  /** The world's NATS server: the test servers', or the pipeline's own. */
  readonly natsUrl: string;
  /** The fresh database (with `database`). */
  readonly database: FreshDatabase;
  /** The fresh database's URL. */
  readonly databaseUrl: string;
  /** A directory of the world's own, deleted at the end. */
  readonly workDir: string;
  /** The running pipeline (with `pipeline`). */
  readonly pipeline: Pipeline;
  /** A connection to the world's NATS server (with `nats`). */
  readonly nc: NatsConnection;
  /** Every line the pipeline's processes printed, as `name | line`; add your in-process services'. */
  readonly logs: string[];
  /** The last `n` lines of `logs` (default 40), for a failure message. */
  logTail(n?: number): string;
  /** Runs `cleanup` when the world ends: the last deferred first, before what the world started. */
  defer(cleanup: () => unknown): void;
}

/**
 * Registers the beforeAll that starts a world — a unique prefix on the test servers' NATS, a fresh
 * database, a work directory, a NATS connection, the pipeline as real processes with the given
 * API keys, waited for until SERVING — and the afterAll that takes it all down again (pipeline,
 * NATS namespace, database, directory; and whatever was deferred, first). Call it at the top of a
 * test file; read the world's fields in hooks and tests. A test's own afterAll, registered later,
 * runs before the world's (vitest runs after-hooks as a stack).
 */
export function useWorld(options: WorldOptions): TestWorld {
  const world = new World(options);
  beforeAll(() => world.start(), options.startTimeoutMs ?? 120_000);
  afterAll(() => world.stop(), 120_000);
  return world;
}

/** A world started and stopped by hand (what useWorld's hooks do); for testing the fixture. */
export async function openWorld(
  options: WorldOptions,
): Promise<{ world: TestWorld; close(): Promise<void> }> {
  const world = new World(options);
  try {
    await world.start();
  } catch (error: unknown) {
    await world.stop().catch(() => {});
    throw error;
  }
  return { world, close: () => world.stop() };
}

class World implements TestWorld {
  readonly prefix: string;
  readonly logs: string[] = [];
  readonly #options: WorldOptions;
  readonly #cleanups: Array<() => unknown> = [];
  #natsUrl: string | undefined;
  #database: FreshDatabase | undefined;
  #workDir: string | undefined;
  #pipeline: Pipeline | undefined;
  #nc: NatsConnection | undefined;

  constructor(options: WorldOptions) {
    this.#options = options;
    this.prefix = options.prefix ?? uniquePrefix();
  }

  get natsUrl(): string {
    return this.#natsUrl ?? testServerUrls().natsUrl;
  }
  get database(): FreshDatabase {
    return this.#started(this.#database, 'database', 'database: true, or a pipeline');
  }
  get databaseUrl(): string {
    return this.database.url;
  }
  get workDir(): string {
    return this.#started(this.#workDir, 'workDir', 'the world started');
  }
  get pipeline(): Pipeline {
    return this.#started(this.#pipeline, 'pipeline', 'the pipeline option');
  }
  get nc(): NatsConnection {
    return this.#started(this.#nc, 'nc', 'nats: true');
  }

  // Arrow functions: they may be destructured off the world (`({ workDir, defer }) => …`).
  readonly logTail = (n = 40): string => this.logs.slice(-n).join('\n');

  /** The last `n` lines of each process's output, process by process. */
  #tailPerProcess(n: number): string {
    const byProcess = new Map<string, string[]>();
    for (const line of this.logs) {
      const name = line.slice(0, line.indexOf(' | '));
      const lines = byProcess.get(name) ?? [];
      lines.push(line);
      if (lines.length > n) lines.shift();
      byProcess.set(name, lines);
    }
    return [...byProcess.values()].flat().join('\n');
  }

  readonly defer = (cleanup: () => unknown): void => {
    this.#cleanups.push(cleanup);
  };

  async start(): Promise<void> {
    const options = this.#options;
    const workDir = await mkdtemp(join(tmpdir(), `msi-${options.label}-`));
    this.#workDir = workDir;
    this.defer(() => rm(workDir, { recursive: true, force: true }));
    if (options.database ?? options.pipeline !== undefined) {
      const database = await createFreshDatabase(testServerUrls().databaseUrl, options.label);
      this.#database = database;
      this.defer(() => database.drop());
    }
    const spec = typeof options.pipeline === 'function' ? await options.pipeline(this) : options.pipeline;
    if (spec?.natsUrl !== undefined) this.#natsUrl = spec.natsUrl;
    else if (options.prefix !== undefined) {
      throw new Error(`world ${options.label}: a fixed prefix needs a NATS server of the test's own`);
    }
    if (spec?.natsUrl === undefined) {
      const { natsUrl } = testServerUrls();
      this.defer(() => deleteNatsNamespace(natsUrl, this.prefix));
    }
    if (spec !== undefined) await this.#startPipeline(spec);
    if (options.nats === true) {
      const nc = await connectNats({ servers: this.natsUrl, name: `msi-test-${options.label}` });
      this.#nc = nc;
      this.defer(() => nc.close());
    }
  }

  async #startPipeline(spec: WorldPipeline): Promise<void> {
    const pipeline = await startPipeline({
      root: repositoryRoot(),
      workDir: this.workDir,
      natsUrl: this.natsUrl,
      databaseUrl: this.databaseUrl,
      prefix: this.prefix,
      shards: spec.shards ?? 2,
      roundIntervalMs: spec.roundIntervalMs ?? 500,
      aggregators: spec.aggregators ?? 1,
      ingestPort: await freePort(),
      moreIngestPorts: await Promise.all(Array.from({ length: (spec.ingests ?? 1) - 1 }, () => freePort())),
      apiKeys: spec.apiKeys,
      ...(spec.verifier === true ? { verifierPort: await freePort() } : {}),
      ...(spec.tiles === true ? { tilesPort: await freePort() } : {}),
      ...(spec.alerter === undefined
        ? {}
        : { alerter: { port: await freePort(), policyFile: spec.alerter.policyFile } }),
      ...(spec.witnesses === undefined ? {} : { witnesses: await witnessesOn(spec.witnesses) }),
      ...(spec.console === true ? { consolePort: await freePort() } : {}),
      ...(spec.openLineage === true ? { openLineagePort: await freePort() } : {}),
      ...(spec.signingKey === undefined ? {} : { signingKey: spec.signingKey }),
      ...(spec.extraEnv === undefined ? {} : { extraEnv: spec.extraEnv }),
      ...(spec.restart === undefined ? {} : { restart: spec.restart }),
      onLine: ({ name, line }) => this.logs.push(`${name} | ${line}`),
    });
    this.#pipeline = pipeline;
    this.defer(() => pipeline.stop());
    try {
      await pipeline.waitUntilServing(spec.servingTimeoutMs ?? 60_000);
    } catch (error: unknown) {
      const reason = error instanceof Error ? error.message : String(error);
      // The last lines of each process: a chatty one (a calendar publishing every second) would
      // fill a tail of all of them and hide the one that did not come up.
      throw new Error(`world ${this.#options.label}: ${reason}\n${this.#tailPerProcess(10)}`, {
        cause: error,
      });
    }
  }

  /** Runs every cleanup, the last deferred first, even when one fails; then throws the failures. */
  async stop(): Promise<void> {
    const failures: unknown[] = [];
    for (const cleanup of this.#cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error: unknown) {
        failures.push(error);
      }
    }
    if (failures.length > 0) {
      throw new AggregateError(
        failures,
        `world ${this.#options.label}: ${failures.length} cleanup(s) failed`,
      );
    }
  }

  #started<T>(value: T | undefined, field: string, needs: string): T {
    if (value === undefined) {
      throw new Error(
        `world ${this.#options.label}: no ${field} (it needs ${needs}; read it in a hook or test)`,
      );
    }
    return value;
  }
}

async function witnessesOn(names: readonly string[]): Promise<{ name: string; port: number }[]> {
  const witnesses: { name: string; port: number }[] = [];
  for (const name of names) witnesses.push({ name, port: await freePort() });
  return witnesses;
}
