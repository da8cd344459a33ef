import { createPool, waitForDatabase } from '@msi/postgres';
import { createRegistry, ServiceHealth, startMetricsListener } from '@msi/service-kit';
import { type RunningVerifier, startVerifier, type VerifierOptions } from './verifier.js';

/** A verifier started by startTestVerifier: its health and metrics port too. */
export type RunningTestVerifier = RunningVerifier & {
  readonly health: ServiceHealth;
  readonly metricsPort: number | undefined;
};

/**
 * Starts a verifier in this process the way main.ts does, on a pool of `databaseUrl` (ended by
 * stop; waited for like the runner's ctx.postgres); `metricsPort` also serves /metrics and /healthz.
 */
export async function startTestVerifier(
  o: Omit<VerifierOptions, 'pool' | 'health' | 'registry'> & { databaseUrl: string; metricsPort?: number },
): Promise<RunningTestVerifier> {
  const { databaseUrl, metricsPort, ...options } = o;
  const pool = createPool({ connectionString: databaseUrl, applicationName: 'msi-verifier-test' });
  await waitForDatabase(pool);
  const health = new ServiceHealth();
  const registry = createRegistry('verifier');
  const verifier = await startVerifier({ ...options, pool, health, registry });
  const metrics = await startMetricsListener(registry, {
    host: '127.0.0.1',
    port: metricsPort ?? 0,
    healthy: () => health.serving,
  });
  return {
    ...verifier,
    health,
    metricsPort: metrics?.port,
    async stop() {
      await verifier.stop();
      await metrics?.close();
      await pool.end();
    },
  };
}
