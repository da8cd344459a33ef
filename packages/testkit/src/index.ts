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
  type EventuallyOptions,
  EventuallyTimeoutError,
  eventually,
  type ProbeResult,
} from './eventually.js';
export {
  createFreshDatabase,
  deleteNatsNamespace,
  type FreshDatabase,
  testServerUrls,
  uniquePrefix,
} from './namespace.js';
export { type RawAnswer, RawGrpcClient } from './raw-grpc.js';
export { startTestServers, type TestServers } from './test-servers.js';
export { type TestWorld, useWorld, type WorldOptions, type WorldPipeline } from './world.js';
