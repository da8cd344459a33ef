import { readFileSync } from 'node:fs';
import { nodeEd25519, nodeHasher } from '@msi/crypto-node';
import { connectNats } from '@msi/nats';
import { createLogger, shutdownSignal } from '@msi/service-kit';
import { loadConfig } from './config.js';
import { ApiKeys } from './credentials.js';
import { startVerifier } from './verifier.js';

const config = loadConfig(process.env);
const log = createLogger({ service: 'verifier', level: config.logLevel });
const keys = ApiKeys.fromJson(
  config.credentialsFile === undefined ? '{"credentials":[]}' : readFileSync(config.credentialsFile, 'utf8'),
);
const nc = await connectNats({ servers: config.natsUrl, name: 'msi-verifier' });
const verifier = await startVerifier({
  nc,
  databaseUrl: config.databaseUrl,
  prefix: config.prefix,
  natsReplicas: config.natsReplicas,
  calendarKey: config.calendarKey,
  witnessKeys: config.witnessKeys,
  keys,
  hasher: nodeHasher(),
  ed25519: nodeEd25519(),
  host: config.grpcHost,
  port: config.grpcPort,
  metricsPort: config.metricsPort,
  metricsHost: config.metricsHost,
  log,
});
log.info('verifier up', {
  grpc: `${config.grpcHost}:${verifier.port}`,
  metrics:
    verifier.metricsPort === undefined ? 'off' : `${config.metricsHost}:${verifier.metricsPort}/metrics`,
  prefix: config.prefix,
  apiKeys: keys.size,
});
await shutdownSignal((signal) => log.warn('second signal: exiting now', { signal }));
log.info('verifier stopping');
await verifier.stop();
await nc.close();
