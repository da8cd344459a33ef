import { nodeHasher } from '@msi/crypto-node';
import { ConfigError, createLogger, shutdownSignal } from '@msi/service-kit';
import { loadConfig } from './config.js';
import { startIngest } from './ingest-server.js';

// The ingest process: read the configuration once, start, stop cleanly on SIGTERM / SIGINT.
async function main(): Promise<number> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
  } catch (error: unknown) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const logger = createLogger({ service: 'ingest', level: config.logLevel });
  const ingest = await startIngest(config, { hasher: nodeHasher(), logger });
  const signal = await shutdownSignal((again) => {
    logger.warn('second signal while stopping: exiting now', { signal: again });
    process.exit(1);
  });
  logger.info('stopping', { signal });
  await ingest.close();
  logger.info('stopped');
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `ingest failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
