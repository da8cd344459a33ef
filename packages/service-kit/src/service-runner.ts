import { hostname } from 'node:os';
import { connectNats, watchConnection } from '@msi/nats';
import { createPool, isDatabaseUnavailable, type Pool, waitForDatabase } from '@msi/postgres';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Registry } from 'prom-client';
import { ConfigError } from './config-reader.js';
import { every } from './every.js';
import { createLogger, type Logger, type LogLevel } from './logger.js';
import { createRegistry, type RunningMetricsServer, startMetricsListener } from './metrics-server.js';
import { ServiceHealth } from './service-health.js';
import { shutdownSignal } from './shutdown.js';
import { startTracing } from './tracing/start-tracing.js';
import { readTracingConfig, type TracingConfig } from './tracing/tracing-config.js';

/** What the runner needs of every service's configuration. */
export interface ServiceSettings {
  readonly logLevel: LogLevel;
  /** Which process of the service, in every log line (default `<host>-<pid>`). */
  readonly instance?: string;
  /** /metrics and /healthz on metricsHost:metricsPort; 0 or absent = off. */
  readonly metricsHost?: string;
  readonly metricsPort?: number;
}

/** What a service's start gets from the runner: its logger, metrics, health and connections. */
export interface ServiceContext {
  readonly log: Logger;
  readonly registry: Registry;
  /** grpc.health.v1 and /healthz follow it; the connections below keep it up to date. */
  readonly health: ServiceHealth;
  /** The wall clock, ms since the epoch. */
  readonly nowMs: () => number;
  /**
   * A NATS connection (reconnecting forever): the health dependency `nats` follows it; drained when
   * the service stops, after its parts.
   */
  nats(url: string): Promise<NatsConnection>;
  /**
   * A Postgres pool, once its database answers (a database that is away is waited for, not an
   * exit). Its health dependency (`name`, default `database`) follows a `SELECT 1` every probeMs
   * (default 2000; 0 = no probe); ended when the service stops, after its parts.
   */
  postgres(url: string, options?: PostgresOptions): Promise<Pool>;
  /** Runs `stop` when the service stops: what was registered last stops first. */
  onStop(stop: () => unknown): void;
  /** A fatal error: stops what started and exits 1. */
  fail(error: unknown): void;
}

export interface PostgresOptions {
  readonly name?: string;
  readonly max?: number;
  readonly applicationName?: string;
  readonly probeMs?: number;
}

/** What a service's start returns: how to stop it and, optionally, a promise rejected by a fatal error. */
export interface ServiceParts {
  stop(): Promise<void>;
  readonly failed?: Promise<never>;
}

export interface ServiceDefinition<Config extends ServiceSettings> {
  /** `ingest`, `verifier`…: the `service` of every log line and metric. */
  readonly name: string;
  /**
   * Reads and checks the configuration, and the files it names (credentials, keys). Anything it
   * throws is a bad setting: exit 2, with the problems (each naming its variable) on stderr.
   */
  load(env: Readonly<Record<string, string | undefined>>): Config | Promise<Config>;
  /** Starts the service on connections opened through `ctx`; returns what to stop. */
  start(ctx: ServiceContext, config: Config): Promise<ServiceParts | undefined>;
}

/** Exit codes: 0 stopped on a signal, 1 a fatal error (after stopping what started), 2 a bad setting. */
const EXIT_FATAL = 1;
const EXIT_CONFIG = 2;

/**
 * Runs a service as a process, the one way every service starts: configuration (exit 2 naming each
 * bad variable, the OTEL_* tracing variables included), logger, tracing (on when an OTLP endpoint
 * is set), metrics server, the service's start with its connections, then waits for
 * SIGTERM / SIGINT / the supervisor's IPC channel closing (exit 0) or a fatal error (exit 1), and
 * stops everything in the reverse order it started: the service's parts, then its connections,
 * then the metrics server, and last the tracing (its buffered spans exported). A second signal
 * while stopping exits 1 at once.
 */
export async function runService<Config extends ServiceSettings>(
  definition: ServiceDefinition<Config>,
): Promise<never> {
  let config: Config;
  let tracingConfig: TracingConfig;
  try {
    [config, tracingConfig] = await loadSettings(definition, process.env);
  } catch (error: unknown) {
    createLogger({
      service: definition.name,
      level: 'error',
      write: (line) => process.stderr.write(line),
    }).error('invalid configuration', {
      problems: error instanceof ConfigError ? error.problems : [messageOf(error)],
    });
    return process.exit(EXIT_CONFIG);
  }
  const instance = config.instance ?? `${hostname()}-${process.pid}`;
  const log = createLogger({ service: definition.name, instance, level: config.logLevel });
  // Tracing before anything starts, shut down last of all (after `stops` below), so that every span
  // of the stop is exported.
  const tracing = startTracing({ service: definition.name, instance, config: tracingConfig, log });
  if (tracing.enabled && tracingConfig.enabled) {
    log.info('tracing on', {
      url: tracingConfig.url,
      sampler: tracingConfig.sampler,
      ratio: tracingConfig.ratio,
    });
  }
  const stops: (() => unknown)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) {
      try {
        await stop();
      } catch (error: unknown) {
        log.warn('error while stopping', { error });
      }
    }
  };
  let reportFatal: (error: unknown) => void = () => {};
  const fatal = new Promise<{ error: unknown }>((resolve) => {
    reportFatal = (error) => resolve({ error });
  });
  process.on('uncaughtException', (error) => reportFatal(error));
  process.on('unhandledRejection', (error) => reportFatal(error));
  // Listening before anything starts: a signal during the start (a database waited for, say) stops
  // what has started and exits 0.
  const signalled = shutdownSignal((again) => {
    log.warn('second signal while stopping: exiting now', { signal: again });
    process.exit(EXIT_FATAL);
  }).then((signal) => ({ signal }));
  let code = 0;
  try {
    const registry = createRegistry(definition.name);
    const health = new ServiceHealth();
    // Metrics first: a port in use stops the process before it takes any work.
    const metrics = await startMetrics(registry, config, health);
    if (metrics !== undefined) stops.push(() => metrics.close());
    const ctx = serviceContext({ name: definition.name, log, registry, health, stops, fail: reportFatal });
    const starting = definition.start(ctx, config).then((parts) => ({ parts }));
    const first = await Promise.race([starting, signalled, fatal]);
    let ended: { signal: NodeJS.Signals } | { error: unknown };
    if ('parts' in first) {
      const { parts } = first;
      if (parts !== undefined) stops.push(() => parts.stop());
      ended = await Promise.race([
        signalled,
        fatal,
        ...(parts?.failed === undefined ? [] : [parts.failed.catch((error: unknown) => ({ error }))]),
      ]);
    } else {
      starting.catch(() => {}); // what it started is stopped below; the rest ends with the process
      ended = first;
    }
    health.stopping();
    if ('error' in ended) {
      code = EXIT_FATAL;
      log.error('fatal error: stopping', { error: ended.error });
    } else log.info('stopping', { signal: ended.signal });
  } catch (error: unknown) {
    code = EXIT_FATAL;
    log.error('failed to start', { error, stack: error instanceof Error ? error.stack : undefined });
  }
  await stopAll();
  await tracing.shutdown().catch((error: unknown) => log.warn('could not flush the traces', { error }));
  log.info('stopped', { exitCode: code });
  return process.exit(code);
}

/**
 * The service's configuration and the tracing settings (the standard OTEL_* variables), read from
 * the same environment; a ConfigError lists the problems of both.
 */
async function loadSettings<Config extends ServiceSettings>(
  definition: ServiceDefinition<Config>,
  env: Readonly<Record<string, string | undefined>>,
): Promise<[Config, TracingConfig]> {
  const problems: string[] = [];
  let tracing: TracingConfig = { enabled: false };
  try {
    tracing = readTracingConfig(env);
  } catch (error: unknown) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  let config: Config | undefined;
  try {
    config = await definition.load(env);
  } catch (error: unknown) {
    problems.unshift(...(error instanceof ConfigError ? error.problems : [messageOf(error)]));
  }
  if (problems.length > 0 || config === undefined) throw new ConfigError(problems);
  return [config, tracing];
}

function startMetrics(
  registry: Registry,
  config: ServiceSettings,
  health: ServiceHealth,
): Promise<RunningMetricsServer | undefined> {
  return startMetricsListener(registry, {
    host: config.metricsHost ?? '127.0.0.1',
    port: config.metricsPort ?? 0,
    healthy: () => health.serving,
  });
}

function serviceContext(o: {
  name: string;
  log: Logger;
  registry: Registry;
  health: ServiceHealth;
  stops: (() => unknown)[];
  fail: (error: unknown) => void;
}): ServiceContext {
  const { log, health, stops } = o;
  return {
    log,
    registry: o.registry,
    health,
    nowMs: Date.now,
    async nats(url) {
      const nc = await connectNats({ servers: url, name: `msi-${o.name}-${process.pid}` });
      stops.push(() => nc.drain().catch(() => nc.close()));
      watchConnection(nc, (up) => {
        if (health.down.has('nats') === !up) return;
        health.set('nats', up, 'NATS disconnected');
        if (!nc.isClosed()) log.warn(up ? 'NATS reconnected' : 'NATS disconnected');
      });
      return nc;
    },
    async postgres(url, options = {}) {
      const name = options.name ?? 'database';
      const pool = createPool({
        connectionString: url,
        ...(options.max === undefined ? {} : { max: options.max }),
        applicationName: options.applicationName ?? `msi-${o.name}`,
      });
      stops.push(() => (pool.ended ? undefined : pool.end()));
      await waitForDatabase(pool, {
        onWait: (error, attempt) => {
          if (attempt === 1 || attempt % 30 === 0)
            log.warn(`waiting for the ${name}`, { attempt, error: messageOf(error) });
        },
      });
      const probeMs = options.probeMs ?? 2000;
      if (probeMs > 0) {
        const probe = every({
          intervalMs: probeMs,
          waitFirst: true,
          run: async () => {
            await pool.query('SELECT 1');
            if (health.down.has(name)) log.info(`the ${name} is back`);
            health.set(name, true);
          },
          onError: (error) => {
            if (!isDatabaseUnavailable(error) || pool.ended) return;
            if (!health.down.has(name)) log.warn(`the ${name} is unavailable`, { error: messageOf(error) });
            health.set(name, false, messageOf(error));
          },
        });
        stops.push(() => probe.stop());
      }
      return pool;
    },
    onStop: (stop) => stops.push(stop),
    fail: o.fail,
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
