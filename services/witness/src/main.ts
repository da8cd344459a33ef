import { parseVerifierKey } from '@msi/core';
import { runService } from '@msi/service-kit';
import { loadWitness } from './config.js';
import { startWitness } from './witness-server.js';

// The witness process: its configuration and key (exit 2 when either is bad), then its HTTP server.
await runService({
  name: 'witness',
  load: loadWitness,
  async start({ log }, config) {
    if (config.devKey) {
      log.warn(
        '!!! DEV KEY: this witness cosigns with a generated development key; never use it in production !!!',
        {
          file: config.devKeyFile,
        },
      );
    }
    const witness = await startWitness({
      host: config.host,
      port: config.port,
      signer: config.signer,
      logKeys: config.logs.map((key) => parseVerifierKey(key)),
      stateFile: config.stateFile,
      log,
      feed: { tiles: config.feedTiles, intervalMs: config.feedIntervalMs },
    });
    log.info('witness up', {
      endpoint: `http://${config.host}:${witness.port}/add-checkpoint`,
      verifierKey: witness.verifierKey,
      logs: config.logs,
      stateFile: config.stateFile,
      ...(config.feedTiles.length > 0
        ? { feedTiles: config.feedTiles, feedIntervalMs: config.feedIntervalMs }
        : {}),
    });
    return { stop: () => witness.close() };
  },
});
