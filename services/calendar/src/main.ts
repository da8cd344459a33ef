import { formatKeyId, verifierKeyOf } from '@msi/core';
import { nodeEd25519, nodeHasher } from '@msi/crypto-node';
import {
  connectNats,
  defaultStreamSettings,
  ensureStreams,
  redactNatsUrl,
  streamNamesFor,
  subjectsFor,
  watchConnection,
} from '@msi/nats';
import { createPool } from '@msi/postgres';
import {
  ConfigError,
  createLogger,
  createRegistry,
  type Logger,
  shutdownSignal,
  startMetricsListener,
} from '@msi/service-kit';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Calendar } from './calendar.js';
import { CalendarError } from './calendar-error.js';
import { checkStoredTree, loadState, prepareDatabase } from './calendar-repository.js';
import { runCalendar } from './calendar-runner.js';
import { type Config, loadConfig } from './config.js';
import { createCalendarMetrics, createPublicationMetrics, createWitnessMetrics } from './metrics.js';
import { startPublisher } from './publication-publisher.js';
import { latestPublication } from './publication-store.js';
import { loadLogKey } from './signing-key.js';
import { startWitnessSubmitter } from './witness-submitter.js';

/** Reads the configuration, prepares the database, starts the round loop; returns the exit code. */
async function main(log: Logger): Promise<number> {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (error: unknown) {
    if (!(error instanceof ConfigError)) throw error;
    log.error('invalid configuration', { problems: error.problems });
    return 2;
  }
  log = createLogger({ service: 'calendar', level: config.logLevel }, { instance: config.instanceId });
  const key = await loadLogKey(config);
  if (key.dev) {
    log.warn(
      '!!! DEV KEY: this calendar signs with a generated development key; never use it in production !!!',
      {
        file: config.devKeyFile,
      },
    );
  }
  const origin = key.signer.name;
  log.info('calendar log key', {
    origin,
    verifierKey: key.verifierKey,
    keyId: formatKeyId(key.signer.keyId),
  });

  const owner = createPool({
    connectionString: config.migrationUrl,
    max: 2,
    applicationName: 'msi-calendar-owner',
  });
  try {
    await prepareDatabase(owner, config.appRole, {
      origin,
      intervalMs: config.intervalMs,
      verifierKey: key.verifierKey,
    });
  } finally {
    await owner.end();
  }
  const pool = createPool({ connectionString: config.databaseUrl, max: 4, applicationName: 'msi-calendar' });
  const hasher = nodeHasher();
  const state = await loadState(pool, hasher);
  await checkStoredTree(pool, state);

  const nc = await connectNats({ servers: config.natsUrl, name: `msi-calendar-${config.instanceId}` });
  let connected = true;
  watchConnection(nc, (up) => {
    connected = up;
  });
  const jsm = await jetstreamManager(nc);
  await ensureStreams(jsm, config.prefix, { ...defaultStreamSettings, replicas: config.natsReplicas });

  const registry = createRegistry('calendar');
  const metrics = createCalendarMetrics(registry);
  metrics.info.set({ origin, verifier_key: key.verifierKey, instance: config.instanceId }, 1);
  metrics.calendarSize.set(state.size);
  let failed = false;
  const metricsServer = await startMetricsListener(registry, {
    host: config.metricsHost,
    port: config.metricsPort,
    healthy: () => connected && !failed,
  });

  const calendar = new Calendar({
    pool,
    js: jetstream(nc),
    jsm,
    subjects: subjectsFor(config.prefix),
    streams: streamNamesFor(config.prefix),
    hasher,
    ed: nodeEd25519(),
    signer: key.signer,
    identity: { origin, intervalMs: config.intervalMs, verifierKey: verifierKeyOf(key.signer) },
    instanceId: config.instanceId,
    leaseMs: config.leaseMs,
    publishTimeoutMs: config.publishTimeoutMs,
    nowMs: Date.now,
    log,
    metrics,
  });
  const running = runCalendar(calendar, {
    intervalMs: config.intervalMs,
    closeDelayMs: config.closeDelayMs,
    nowMs: Date.now,
    log,
    metrics,
  });
  const submitter = startWitnessSubmitter({
    pool,
    js: jetstream(nc),
    subjects: subjectsFor(config.prefix),
    witnesses: config.witnesses,
    pollMs: config.intervalMs,
    requestTimeoutMs: config.witnessTimeoutMs,
    publishTimeoutMs: config.publishTimeoutMs,
    hasher,
    ed: nodeEd25519(),
    nowMs: Date.now,
    log,
    metrics: createWitnessMetrics(registry),
  });
  const publisher =
    config.publicationIntervalMs === 0
      ? undefined
      : startPublisher({
          pool,
          js: jetstream(nc),
          subjects: subjectsFor(config.prefix),
          instanceId: config.instanceId,
          intervalMs: config.publicationIntervalMs,
          publishTimeoutMs: config.publishTimeoutMs,
          nowMs: Date.now,
          log,
          metrics: createPublicationMetrics(registry, async () => (await latestPublication(pool))?.time),
        });
  log.info('calendar up', {
    origin,
    verifierKey: key.verifierKey,
    size: state.size,
    intervalMs: config.intervalMs,
    publicationIntervalMs: config.publicationIntervalMs,
    prefix: config.prefix,
    nats: redactNatsUrl(config.natsUrl),
    witnesses: config.witnesses.map((w) => ({ name: w.name, url: w.url })),
    metrics:
      metricsServer === undefined ? null : `http://${config.metricsHost}:${metricsServer.port}/metrics`,
  });

  const ended = await Promise.race([
    shutdownSignal((signal) => log.warn('second signal while stopping', { signal })).then((signal) => ({
      signal,
    })),
    running.failed.catch((error: unknown) => ({ error })),
  ]);
  failed = 'error' in ended;
  log.info('calendar stopping', 'signal' in ended ? { signal: ended.signal } : { reason: 'fatal error' });
  await running.stop();
  await submitter.stop();
  await publisher?.stop();
  await nc.drain().catch(() => nc.close());
  await pool.end();
  await metricsServer?.close();
  log.info('calendar stopped');
  return failed ? 1 : 0;
}

const bootLog = createLogger({ service: 'calendar', level: 'info' });
main(bootLog).then(
  (code) => process.exit(code),
  (error: unknown) => {
    bootLog.error('calendar failed to start', {
      error,
      code: error instanceof CalendarError ? error.code : undefined,
    });
    process.exit(1);
  },
);
