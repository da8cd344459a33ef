import { readFileSync } from 'node:fs';
import { nodeEd25519, nodeHasher } from '@msi/crypto-node';
import { connectNats } from '@msi/nats';
import { CredentialStore, createLogger, shutdownSignal } from '@msi/service-kit';
import { startAlerter } from './alerter.js';
import { loadConfig } from './config.js';

const config = loadConfig(process.env);
const log = createLogger({ service: 'alerter', level: config.logLevel });
const credentials = CredentialStore.fromJson(
  config.credentialsFile === undefined ? '{"credentials":[]}' : readFileSync(config.credentialsFile, 'utf8'),
);
const nc = await connectNats({ servers: config.natsUrl, name: 'msi-alerter' });
const alerter = await startAlerter({
  nc,
  databaseUrl: config.databaseUrl,
  prefix: config.prefix,
  natsReplicas: config.natsReplicas,
  calendarKey: config.calendarKey,
  policyFile: config.policyFile,
  policyPollMs: config.policyPollMs,
  credentials,
  // Webhook secrets are named by the policy (`secret_env`), which is hot-reloaded: read them on use.
  secretFromEnv: (name) => process.env[name],
  hasher: nodeHasher(),
  ed25519: nodeEd25519(),
  host: config.grpcHost,
  port: config.grpcPort,
  metricsPort: config.metricsPort,
  metricsHost: config.metricsHost,
  slaCheckMs: config.slaCheckMs,
  webhookBackoff: { baseMs: config.webhookBaseBackoffMs, maxAttempts: config.webhookMaxAttempts },
  log,
  onLeadershipLost: () => {
    log.error('exiting: the leader lock is lost');
    process.exit(1);
  },
});
log.info('alerter up', {
  grpc: `${config.grpcHost}:${alerter.port}`,
  metrics: alerter.metricsPort === undefined ? 'off' : `${config.metricsHost}:${alerter.metricsPort}/metrics`,
  prefix: config.prefix,
  policy: config.policyFile,
  digest: alerter.policy.policy.digest,
  leader: alerter.isLeader(),
});
await shutdownSignal((signal) => log.warn('second signal: exiting now', { signal }));
log.info('alerter stopping');
await alerter.stop();
await nc.close();
