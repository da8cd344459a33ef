export { buildWorkspace, repositoryRoot } from './build-once.js';
export { readTestServerConfig, type TestServerConfig } from './config.js';
export { type EmbeddedNats, findNatsServer, startEmbeddedNats, waitForPort } from './embedded-nats.js';
export { type EmbeddedPostgresServer, startEmbeddedPostgres } from './embedded-postgres.js';
export { freePort } from './free-port.js';
export {
  createFreshDatabase,
  deleteNatsNamespace,
  type FreshDatabase,
  testServerUrls,
  uniquePrefix,
} from './namespace.js';
export { startTestServers, type TestServers } from './test-servers.js';
