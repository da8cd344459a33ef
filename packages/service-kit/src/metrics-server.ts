import { createServer, type Server } from 'node:http';
import { collectDefaultMetrics, Registry } from 'prom-client';

/** A metrics registry with the process's default metrics (RSS, event loop lag, GC) prefixed msi_. */
export function createRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, prefix: 'msi_' });
  return registry;
}

/** Serves GET /metrics (Prometheus text) and GET /healthz (200 when `healthy()`) on host:port. */
export async function startMetricsServer(
  registry: Registry,
  options: { host: string; port: number; healthy: () => boolean },
): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    if (request.url === '/metrics') {
      registry.metrics().then(
        (text) => {
          response.writeHead(200, { 'content-type': registry.contentType });
          response.end(text);
        },
        () => {
          response.writeHead(500);
          response.end();
        },
      );
    } else if (request.url === '/healthz') {
      const ok = options.healthy();
      response.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' });
      response.end(ok ? 'ok\n' : 'not serving\n');
    } else {
      response.writeHead(404);
      response.end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  return { server, port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** A running metrics server. */
export type RunningMetricsServer = Awaited<ReturnType<typeof startMetricsServer>>;

/**
 * A service's metrics listener as configured (ConfigReader.metricsListener): port 0 means off
 * (undefined) in every service; otherwise /metrics and /healthz on host:port.
 */
export async function startMetricsListener(
  registry: Registry,
  options: { host: string; port: number; healthy: () => boolean },
): Promise<RunningMetricsServer | undefined> {
  return options.port === 0 ? undefined : startMetricsServer(registry, options);
}
