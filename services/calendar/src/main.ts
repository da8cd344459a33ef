import { formatKeyId, verifierKeyOf } from '@msi/core';
import { nodeEd25519, nodeHasher } from '@msi/crypto-node';
import { defaultStreamSettings, ensureStreams, redactNatsUrl, streamNamesFor, subjectsFor } from '@msi/nats';
import { runService } from '@msi/service-kit';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Calendar } from './calendar.js';
import { checkStoredTree, loadState, prepareDatabase } from './calendar-repository.js';
import { runCalendar } from './calendar-runner.js';
import { loadCalendar } from './config.js';
import { createCalendarMetrics, createPublicationMetrics, createWitnessMetrics } from './metrics.js';
import { startPublisher } from './publication-publisher.js';
import { latestPublication } from './publication-store.js';
import { TileDirectory } from './tile-directory.js';
import { startTileWriter } from './tile-writer.js';
import { startWitnessSubmitter } from './witness-submitter.js';

// The calendar process: its configuration and log key (exit 2 naming a bad variable), the database
// prepared by the owner connection, then the round loop, the witness submitter and the publisher.
// A fatal CalendarError (HISTORY_UNVERIFIABLE, FORKED…) stops it with exit 1.
await runService({
  name: 'calendar',
  load: loadCalendar,
  async start(ctx, config) {
    const { log } = ctx;
    const { key } = config;
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

    const owner = await ctx.postgres(config.migrationUrl, {
      name: 'owner database connection',
      max: 2,
      applicationName: 'msi-calendar-owner',
      probeMs: 0,
    });
    await prepareDatabase(owner, config.appRole, {
      origin,
      intervalMs: config.intervalMs,
      verifierKey: key.verifierKey,
    });
    await owner.end();
    const pool = await ctx.postgres(config.databaseUrl, { max: 4, applicationName: 'msi-calendar' });
    const hasher = nodeHasher();
    const state = await loadState(pool, hasher);
    await checkStoredTree(pool, state);

    const nc = await ctx.nats(config.natsUrl);
    const jsm = await jetstreamManager(nc);
    await ensureStreams(jsm, config.prefix, { ...defaultStreamSettings, replicas: config.natsReplicas });
    const js = jetstream(nc);
    const subjects = subjectsFor(config.prefix);

    const metrics = createCalendarMetrics(ctx.registry);
    metrics.info.set({ origin, verifier_key: key.verifierKey, instance: config.instanceId }, 1);
    metrics.calendarSize.set(state.size);
    const calendar = new Calendar({
      pool,
      js,
      jsm,
      subjects,
      streams: streamNamesFor(config.prefix),
      hasher,
      ed: nodeEd25519(),
      signer: key.signer,
      identity: { origin, intervalMs: config.intervalMs, verifierKey: verifierKeyOf(key.signer) },
      instanceId: config.instanceId,
      leaseMs: config.leaseMs,
      publishTimeoutMs: config.publishTimeoutMs,
      nowMs: ctx.nowMs,
      log,
      metrics,
    });
    const running = runCalendar(calendar, {
      intervalMs: config.intervalMs,
      closeDelayMs: config.closeDelayMs,
      nowMs: ctx.nowMs,
      log,
      metrics,
    });
    const submitter = startWitnessSubmitter({
      pool,
      js,
      subjects,
      witnesses: config.witnesses,
      pollMs: config.witnessIntervalMs,
      requestTimeoutMs: config.witnessTimeoutMs,
      publishTimeoutMs: config.publishTimeoutMs,
      hasher,
      ed: nodeEd25519(),
      nowMs: ctx.nowMs,
      log,
      metrics: createWitnessMetrics(ctx.registry),
    });
    const publisher =
      config.publicationIntervalMs === 0
        ? undefined
        : startPublisher({
            pool,
            js,
            subjects,
            instanceId: config.instanceId,
            intervalMs: config.publicationIntervalMs,
            publishTimeoutMs: config.publishTimeoutMs,
            nowMs: ctx.nowMs,
            log,
            metrics: createPublicationMetrics(
              ctx.registry,
              async () => (await latestPublication(pool))?.time,
            ),
          });
    const tiles =
      config.tilesDir === undefined
        ? undefined
        : startTileWriter({
            db: pool,
            directory: new TileDirectory(config.tilesDir),
            hasher,
            pollMs: Math.min(config.intervalMs, 1000),
            log,
            coseSigner: key.signer,
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
      witnessIntervalMs: config.witnessIntervalMs,
      tiles: config.tilesDir ?? null,
      metrics: config.metricsPort === 0 ? null : `http://${config.metricsHost}:${config.metricsPort}/metrics`,
    });
    return {
      failed: tiles === undefined ? running.failed : Promise.race([running.failed, tiles.failed]),
      async stop() {
        await running.stop();
        await submitter.stop();
        await publisher?.stop();
        await tiles?.stop();
      },
    };
  },
});
