import { createPool, waitForDatabase } from '@msi/postgres';
import { createRegistry, ServiceHealth, startMetricsListener } from '@msi/service-kit';
import { type AlerterOptions, type RunningAlerter, startAlerter } from './alerter.js';

/** An alerter started by startTestAlerter: its health and metrics port too. */
export type RunningTestAlerter = RunningAlerter & {
  readonly health: ServiceHealth;
  readonly metricsPort: number | undefined;
};

/**
 * Starts an alerter in this process the way main.ts does, on a pool of `databaseUrl` (ended by
 * stop; waited for like the runner's ctx.postgres); `metricsPort` also serves /metrics and /healthz.
 */
export async function startTestAlerter(
  o: Omit<AlerterOptions, 'pool' | 'health' | 'registry'> & { databaseUrl: string; metricsPort?: number },
): Promise<RunningTestAlerter> {
  const { databaseUrl, metricsPort, ...options } = o;
  const pool = createPool({ connectionString: databaseUrl, applicationName: 'msi-alerter-test', max: 12 });
  await waitForDatabase(pool);
  const health = new ServiceHealth();
  const registry = createRegistry('alerter');
  try {
    const alerter = await startAlerter({ ...options, pool, health, registry });
    const metrics = await startMetricsListener(registry, {
      host: '127.0.0.1',
      port: metricsPort ?? 0,
      healthy: () => health.serving,
    });
    return {
      ...alerter,
      isLeader: () => alerter.isLeader(),
      caughtUp: () => alerter.caughtUp(),
      health,
      metricsPort: metrics?.port,
      async stop() {
        await alerter.stop();
        await metrics?.close();
        await pool.end();
      },
    };
  } catch (error: unknown) {
    await pool.end();
    throw error;
  }
}
