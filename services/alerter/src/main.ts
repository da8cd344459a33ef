import { nodeEd25519, nodeHasher } from '@msi/crypto-node';
import { runService } from '@msi/service-kit';
import { startAlerter } from './alerter.js';
import { loadAlerter } from './config.js';

// The alerter process: its configuration, credentials and policy (exit 2 naming a bad variable),
// its NATS connection and database (waited for; NOT_SERVING while away), the API on every instance
// and the stream work on the one holding the leader lock.
await runService({
  name: 'alerter',
  load: loadAlerter,
  async start(ctx, config) {
    const alerter = await startAlerter({
      nc: await ctx.nats(config.natsUrl),
      pool: await ctx.postgres(config.databaseUrl, { applicationName: 'msi-alerter', max: 12 }),
      health: ctx.health,
      registry: ctx.registry,
      prefix: config.prefix,
      natsReplicas: config.natsReplicas,
      calendarKey: config.calendarKey,
      policyFile: config.policyFile,
      policyPollMs: config.policyPollMs,
      credentials: config.credentials,
      // Webhook secrets are named by the policy (`secret_env`), which is hot-reloaded: read them on use.
      secretFromEnv: (name) => process.env[name],
      hasher: nodeHasher(),
      ed25519: nodeEd25519(),
      host: config.grpcHost,
      port: config.grpcPort,
      slaCheckMs: config.slaCheckMs,
      webhookBackoff: { baseMs: config.webhookBaseBackoffMs, maxAttempts: config.webhookMaxAttempts },
      log: ctx.log,
      onFatal: (error) => ctx.fail(error),
    });
    ctx.log.info('alerter up', {
      grpc: `${config.grpcHost}:${alerter.port}`,
      metrics: config.metricsPort === 0 ? 'off' : `${config.metricsHost}:${config.metricsPort}/metrics`,
      prefix: config.prefix,
      policy: config.policyFile,
      digest: alerter.policy.policy.digest,
      leader: alerter.isLeader(),
    });
    return { stop: () => alerter.stop() };
  },
});
