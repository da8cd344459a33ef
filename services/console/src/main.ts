import { runService } from '@msi/service-kit';
import { loadConfig } from './config.js';
import { startConsole } from './console.js';

// The console process: configuration (exit 2 naming the variable), then the HTTP server.
await runService({
  name: 'console',
  load: loadConfig,
  async start({ log }, config) {
    const running = await startConsole(config, log);
    log.info('console up', {
      url: `http://${config.host}:${running.server.port}/`,
      verifier: config.verifierAddress,
      alerter: config.alerterAddress,
      cors: config.corsOrigins.length === 0 ? 'off' : config.corsOrigins,
    });
    return { stop: () => running.stop() };
  },
});
