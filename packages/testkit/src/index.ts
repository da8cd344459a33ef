export {
  type EmbeddedNats,
  type EmbeddedPostgresServer,
  findNatsServer,
  freePort,
  startEmbeddedNats,
  startEmbeddedPostgres,
  waitForPort,
} from '@msi/stack';
export { buildWorkspace, repositoryRoot } from './build-once.js';
export { readTestServerConfig, type TestServerConfig } from './config.js';
export {
  createFreshDatabase,
  deleteNatsNamespace,
  type FreshDatabase,
  testServerUrls,
  uniquePrefix,
} from './namespace.js';
export { type RawAnswer, RawGrpcClient } from './raw-grpc.js';
export { startTestServers, type TestServers } from './test-servers.js';
