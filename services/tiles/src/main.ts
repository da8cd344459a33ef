import { runService } from '@msi/service-kit';
import { loadConfig } from './config.js';
import { startTileServer } from './tile-server.js';

// The tiles process: its configuration (exit 2 naming a bad variable), then the static HTTP server of
// the directory the calendar's tile writer fills.
await runService({
  name: 'tiles',
  load: loadConfig,
  async start({ log }, config) {
    const server = await startTileServer({ host: config.host, port: config.port, dir: config.dir, log });
    log.info('tiles up', { url: `http://${config.host}:${server.port}/`, dir: config.dir });
    return { stop: () => server.close() };
  },
});
