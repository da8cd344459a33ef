import { createPool, type Pool, waitForDatabase } from '@msi/postgres';
import type { Registry } from 'prom-client';
import { createRegistry, startMetricsListener } from './metrics-server.js';
import { ServiceHealth } from './service-health.js';

/** What startInProcess adds to a running service: its health and its metrics port. */
export interface InProcessParts {
  readonly health: ServiceHealth;
  /** Where /metrics and /healthz are served, when a port was asked for. */
  readonly metricsPort: number | undefined;
}

export interface InProcessOptions {
  /** The `service` label of its metrics. */
  readonly service: string;
  readonly databaseUrl: string;
  readonly maxConnections?: number;
  /** Serve /metrics and /healthz here (0 or absent: none). */
  readonly metricsPort?: number;
}

/**
 * Starts a service in this process (tests, benchmarks) the way runService would: on a pool of
 * `databaseUrl` (a database that is away is waited for), a ServiceHealth and a registry of its own.
 * The running service's stop also closes the metrics server and ends the pool.
 */
export async function startInProcess<Running extends { stop(): Promise<void> }>(
  o: InProcessOptions,
  start: (deps: { pool: Pool; health: ServiceHealth; registry: Registry }) => Promise<Running>,
): Promise<Running & InProcessParts> {
  const pool = createPool({
    connectionString: o.databaseUrl,
    applicationName: `msi-${o.service}-in-process`,
    ...(o.maxConnections === undefined ? {} : { max: o.maxConnections }),
  });
  try {
    await waitForDatabase(pool);
    const health = new ServiceHealth();
    const registry = createRegistry(o.service);
    const running = await start({ pool, health, registry });
    const metrics = await startMetricsListener(registry, {
      host: '127.0.0.1',
      port: o.metricsPort ?? 0,
      healthy: () => health.serving,
    });
    return {
      ...running,
      health,
      metricsPort: metrics?.port,
      async stop() {
        await running.stop();
        await metrics?.close();
        await pool.end();
      },
    };
  } catch (error: unknown) {
    if (!pool.ended) await pool.end();
    throw error;
  }
}
