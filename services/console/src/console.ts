import { ChannelCredentials } from '@grpc/grpc-js';
import type { Logger } from '@msi/service-kit';
import type { ConsoleConfig } from './config.js';
import { type RunningConsoleServer, startConsoleServer } from './console-server.js';
import { gatewayRoutes } from './gateway-routes.js';
import { connectUpstreams } from './upstream.js';

export interface RunningConsole {
  readonly server: RunningConsoleServer;
  stop(): Promise<void>;
}

/** The console: its upstream gRPC clients and its HTTP server (the app and the API). */
export async function startConsole(config: ConsoleConfig, log: Logger): Promise<RunningConsole> {
  const upstreams = connectUpstreams({
    verifierAddress: config.verifierAddress,
    alerterAddress: config.alerterAddress,
    credentials: config.upstreamInsecure
      ? ChannelCredentials.createInsecure()
      : ChannelCredentials.createSsl(config.upstreamCa ?? null),
  });
  const server = await startConsoleServer({
    host: config.host,
    port: config.port,
    staticDir: config.staticDir,
    routes: gatewayRoutes(upstreams),
    corsOrigins: config.corsOrigins,
    log,
  });
  return {
    server,
    async stop() {
      await server.close();
      upstreams.close();
    },
  };
}
