import type { TestProject } from 'vitest/node';
import './provided-context.js';
import { buildWorkspace } from './build-once.js';
import { startTestServers } from './test-servers.js';

/** vitest globalSetup for the integration and e2e tiers: one set of servers per run. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  buildWorkspace();
  const servers = await startTestServers();
  process.stdout.write(
    `test servers: NATS from ${servers.origin.nats}, Postgres from ${servers.origin.postgres}\n`,
  );
  project.provide('natsUrl', servers.natsUrl);
  project.provide('databaseUrl', servers.databaseUrl);
  return () => servers.stop();
}
