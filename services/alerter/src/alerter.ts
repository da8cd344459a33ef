import type { Ed25519Verifier } from '@msi/core';
import { parseVerifierKey } from '@msi/core';
import type { MerkleHasher } from '@msi/merkle';
import { defaultStreamSettings, ensureStreams, streamNamesFor, subjectsFor } from '@msi/nats';
import { migrate, type Pool } from '@msi/postgres';
import { alerterV1 } from '@msi/proto';
import {
  authenticateApiKey,
  type CredentialStore,
  eachMessage,
  type Logger,
  type PumpHandler,
  type RunningGrpcServer,
  type RunningLoop,
  SecurityReporter,
  ServerCredentials,
  type ServiceHealth,
  StreamPump,
  startGrpcServer,
  undecodableRefusal,
} from '@msi/service-kit';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Registry } from 'prom-client';
import { AlertFeed } from './alert-feed.js';
import { AlertPublisher } from './alert-publisher.js';
import { type AlerterContext, alertRaiser } from './alerter-context.js';
import { alerterService } from './alerter-service.js';
import { checkpointsHandler } from './checkpoint-intake.js';
import { eventsHandler } from './event-intake.js';
import { integrityHandler } from './integrity-intake.js';
import { LeaderLock } from './leader-lock.js';
import { createAlerterMetrics, type StreamLag } from './metrics.js';
import { PolicyFile } from './policy-file.js';
import { roundsHandler } from './round-intake.js';
import {
  consumerName,
  LEADER_LOCK_KEY,
  MIGRATION_LOCK_KEY,
  MIGRATIONS,
  MIGRATIONS_TABLE,
  type PumpKey,
  SCHEMA,
} from './schema.js';
import { sealsHandler } from './seal-intake.js';
import { securityHandler } from './security-intake.js';
import { startServiceLevelMonitor } from './sla-monitor.js';
import { StagedEvents } from './staged-events.js';
import { StreamFloors } from './stream-floors.js';
import { WebhookDeliverer } from './webhook-deliverer.js';

export interface AlerterOptions {
  /** The NATS connection and the alerter's database (max ≥ 12 connections), opened by the runner. */
  readonly nc: NatsConnection;
  readonly pool: Pool;
  /** grpc.health.v1 follows it. */
  readonly health: ServiceHealth;
  readonly registry: Registry;
  readonly prefix: string;
  readonly natsReplicas?: number;
  readonly calendarKey: string;
  readonly policyFile: string;
  readonly policyPollMs?: number;
  readonly credentials: CredentialStore;
  /** Resolves a webhook's `secret_env` name (main passes the environment). */
  readonly secretFromEnv: (name: string) => string | undefined;
  readonly hasher: MerkleHasher;
  readonly ed25519: Ed25519Verifier;
  readonly host: string;
  readonly port: number;
  readonly slaCheckMs?: number;
  readonly webhookBackoff?: {
    readonly baseMs: number;
    readonly maxMs?: number;
    readonly maxAttempts: number;
  };
  readonly log: Logger;
  readonly nowMs?: () => number;
  /**
   * The leader's work could not be stopped after its lock's session ended (main exits 1, to be
   * restarted). Normally losing the lock stops the work and the instance tries for the lock again.
   */
  readonly onFatal?: (error: unknown) => void;
}

export interface RunningAlerter {
  readonly port: number;
  readonly pool: Pool;
  readonly policy: PolicyFile;
  /** True while this instance holds the leader lock and consumes the streams. */
  isLeader(): boolean;
  /** True when every stream was applied up to its end at the last fetch. */
  caughtUp(): boolean;
  stop(): Promise<void>;
}

/** Security events published per second at most (bursts of twice that); the rest are counted. */
const SECURITY_EVENTS_PER_SECOND = 100;

/** Creates the schema and applies the migrations (idempotent). */
export async function prepareAlerterSchema(pool: Pool): Promise<void> {
  await pool.query(`CREATE SCHEMA IF NOT EXISTS ${SCHEMA}`);
  await migrate(pool, MIGRATIONS, { table: MIGRATIONS_TABLE, lockKey: MIGRATION_LOCK_KEY });
}

/**
 * Starts the alerter: the policy file (hot-reloaded), the gRPC API on every instance, and — on the
 * one instance holding the leader lock — the stream pumps, the service-level monitor, the outbox
 * publisher and the webhook deliverer. Standby instances take over when the leader's session ends.
 */
export async function startAlerter(o: AlerterOptions): Promise<RunningAlerter> {
  const now = o.nowMs ?? Date.now;
  const { pool, registry } = o;
  await prepareAlerterSchema(pool);
  const metrics = createAlerterMetrics(registry, () => streamLag());
  const policy = await PolicyFile.load({
    path: o.policyFile,
    log: o.log.child({ component: 'policy' }),
    ...(o.policyPollMs === undefined ? {} : { pollMs: o.policyPollMs }),
    nowMs: now,
    onReload: () => metrics.policyReloads.inc({ result: 'applied' }),
    onRefused: () => metrics.policyReloads.inc({ result: 'refused' }),
  });
  const jsm = await jetstreamManager(o.nc);
  await ensureStreams(jsm, o.prefix, { ...defaultStreamSettings, replicas: o.natsReplicas ?? 1 });
  const js = jetstream(o.nc);
  let alertsChanged = false;
  /** A new alert (not one more occurrence of an open one): something to publish, maybe to deliver. */
  let alertsCreated = false;
  const ctx: AlerterContext = {
    policy: () => policy.policy,
    hasher: o.hasher,
    ed25519: o.ed25519,
    calendarKey: parseVerifierKey(o.calendarKey),
    log: o.log.child({ component: 'rules' }),
    nowMs: now,
    raise: alertRaiser(
      () => policy.policy,
      (raised) => {
        // Something to announce once the transaction commits (a new alert, or one more occurrence).
        alertsChanged = true;
        if (raised.created) alertsCreated = true;
        if (raised.created && raised.alert.category !== 'integrity') {
          const delayS = (now() * 1000 - raised.alert.firstSeenUs) / 1e6;
          if (delayS >= 0) metrics.alertDelaySeconds.observe({ category: raised.alert.category }, delayS);
        }
        if (raised.created)
          metrics.alertsRaised.inc({ rule: raised.alert.rule, severity: raised.alert.severity });
        else metrics.alertsDeduplicated.inc({ rule: raised.repeated.rule });
      },
    ),
  };
  const feed = new AlertFeed(pool, o.log.child({ component: 'feed' }));
  await feed.start();
  const publisher = new AlertPublisher(pool, js, o.prefix, o.log.child({ component: 'publisher' }));
  const deliverer = new WebhookDeliverer({
    pool,
    schema: SCHEMA,
    secretOf: (name: string) => {
      const hook = policy.policy.webhooks.find((w) => w.name === name);
      if (hook === undefined) return undefined;
      return hook.secret ?? (hook.secretEnv === undefined ? undefined : o.secretFromEnv(hook.secretEnv));
    },
    log: o.log.child({ component: 'webhooks' }),
    backoff: {
      baseMs: o.webhookBackoff?.baseMs ?? 1000,
      maxMs: o.webhookBackoff?.maxMs ?? 5 * 60_000,
      maxAttempts: o.webhookBackoff?.maxAttempts ?? 12,
    },
    hooks: {
      onDelivered: () => metrics.webhookDeliveries.inc({ outcome: 'delivered' }),
      onFailedAttempt: () => metrics.webhookDeliveries.inc({ outcome: 'failed_attempt' }),
      onGaveUp: () => metrics.webhookDeliveries.inc({ outcome: 'gave_up' }),
    },
  });
  // Watchers are woken by commits that raised something, the outbox and webhooks only by commits
  // that created an alert (one more occurrence is neither published nor delivered again; under a
  // storm of repeats, waking them on every commit cost two queries each); their own polls cover
  // anything else.
  const afterCommit = () => {
    if (!alertsChanged) return;
    alertsChanged = false;
    feed.notify();
    if (!alertsCreated) return;
    alertsCreated = false;
    publisher.kick();
    deliverer.kick();
  };

  const names = streamNamesFor(o.prefix);
  const subjects = subjectsFor(o.prefix);
  const pumps: StreamPump[] = [];
  const addPump = (key: PumpKey, stream: string, filter: string, handle: PumpHandler) => {
    pumps.push(
      new StreamPump({
        key,
        js,
        pool,
        stream,
        filter,
        cursorTable: `${SCHEMA}.cursors`,
        consumer: { name: consumerName(key), jsm },
        apply: eachMessage(async (message, tx) => {
          const result = await handle(message, tx);
          if (result === 'applied') metrics.messagesApplied.inc({ stream: key });
          return result;
        }),
        afterCommit,
        fence: (tx) => leader.fence(tx),
        log: o.log.child({ component: `pump-${key}` }),
      }),
    );
  };
  const staged = new StagedEvents(jsm, names.events);
  // Events older than the events stream's retention will never be staged: rounds do not wait for them.
  const floors = new StreamFloors(jsm, [names.events, names.seals]);
  await floors.start();
  addPump('events', names.events, subjects.allEvents, eventsHandler(ctx, staged));
  addPump('seals', names.seals, subjects.allSeals, sealsHandler(ctx));
  const cursorOf = (key: PumpKey) => () => pumps.find((p) => p.key === key)?.cursor ?? 0;
  addPump(
    'rounds',
    names.rounds,
    subjects.rounds,
    roundsHandler(ctx, {
      staged,
      eventsCursor: cursorOf('events'),
      sealsCursor: cursorOf('seals'),
      eventsFloor: () => floors.floor(names.events),
      sealsFloor: () => floors.floor(names.seals),
    }),
  );
  addPump('checkpoints', names.checkpoints, subjects.checkpoints, checkpointsHandler(ctx));
  addPump('security', names.security, subjects.security, securityHandler(ctx));
  addPump('integrity', names.integrity, subjects.allIntegrity, integrityHandler(ctx));
  const caughtUp = () => pumps.every((p) => p.caughtUp);
  /** The backlog per stream, for the metric; only the leader consumes, so a standby has none. */
  const streamLag = async (): Promise<StreamLag> => {
    if (!leader.held) return {};
    const lag: Record<string, number> = {};
    for (const pump of pumps) {
      const info = await jsm.streams.info(pump.stream);
      lag[pump.key] = info.state.last_seq - pump.cursor;
    }
    return lag;
  };

  let monitor: RunningLoop | undefined;
  const leader: LeaderLock = new LeaderLock({
    pool,
    key: LEADER_LOCK_KEY,
    log: o.log.child({ component: 'leader' }),
    onAcquired: async () => {
      for (const pump of pumps) await pump.start();
      monitor = startServiceLevelMonitor(ctx, pool, caughtUp, o.slaCheckMs ?? 1000, afterCommit, (tx) =>
        leader.fence(tx),
      );
      publisher.start();
      deliverer.start();
      metrics.leader.set(1);
      o.log.info('alerter active: consuming the streams');
    },
    onLost: async () => {
      metrics.leader.set(0);
      try {
        await stopLeaderWork();
      } catch (error: unknown) {
        // The work could not be stopped cleanly: exit (1) and be restarted rather than risk it.
        o.onFatal?.(error);
      }
    },
  });
  const stopLeaderWork = async () => {
    await Promise.all(pumps.map((p) => p.stop()));
    await monitor?.stop();
    monitor = undefined;
    await publisher.stop();
    await deliverer.stop();
  };
  await leader.start();
  if (!leader.held) {
    metrics.leader.set(0);
    o.log.info('another alerter is active: standing by (serving the API)');
  }

  const security = new SecurityReporter({
    service: 'alerter',
    send: (payload) => o.nc.publish(subjects.security, payload),
    nowMs: now,
    perSecond: SECURITY_EVENTS_PER_SECOND,
    onPublished: (kind) => metrics.securityEvents.inc({ kind }),
    onDropped: () => metrics.securityDropped.inc(),
  });
  const server: RunningGrpcServer = await startGrpcServer({
    host: o.host,
    port: o.port,
    credentials: ServerCredentials.createInsecure(),
    maxReceiveMessageBytes: 1024 * 1024,
    services: [
      {
        name: 'msi.alerter.v1.AlerterService',
        definition: alerterV1.AlerterServiceService,
        implementation: alerterService({
          pool,
          credentials: o.credentials,
          security,
          feed,
          policy,
          nowMs: now,
          log: o.log.child({ component: 'api' }),
        }),
        onUndecodable: undecodableRefusal({
          authenticate: (call) => authenticateApiKey(o.credentials, call.metadata),
          security,
        }),
      },
    ],
    health: o.health,
  });
  return {
    port: server.port,
    pool,
    policy,
    isLeader: () => leader.held,
    caughtUp,
    async stop() {
      server.setServing(false);
      await server.shutdown(2000);
      await leader.stop();
      await stopLeaderWork();
      await leader.release();
      await feed.close();
      await policy.close();
      await floors.stop();
    },
  };
}
