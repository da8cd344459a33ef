import { parseVerifierKey } from '@msi/core';
import { ConfigError, createLogger, type Logger, shutdownSignal } from '@msi/service-kit';
import { type Config, loadConfig } from './config.js';
import { loadWitnessKey } from './witness-key.js';
import { startWitness } from './witness-server.js';

/** Reads the configuration, starts the witness, waits for SIGTERM/SIGINT; returns the exit code. */
async function main(log: Logger): Promise<number> {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (error: unknown) {
    if (!(error instanceof ConfigError)) throw error;
    log.error('invalid configuration', { problems: error.problems });
    return 2;
  }
  log = createLogger({ service: 'witness', level: config.logLevel });
  const key = await loadWitnessKey(config);
  if (key.dev) {
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
    signer: key.signer,
    logKeys: config.logs.map(parseVerifierKey),
    stateFile: config.stateFile,
    logger: log,
  });
  log.info('witness up', {
    endpoint: `http://${config.host}:${witness.port}/add-checkpoint`,
    verifierKey: witness.verifierKey,
    logs: config.logs,
    stateFile: config.stateFile,
  });
  const signal = await shutdownSignal((again) => log.warn('second signal while stopping', { signal: again }));
  log.info('witness stopping', { signal });
  await witness.close();
  return 0;
}

const log = createLogger({ service: 'witness', level: 'info' });
main(log).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    log.error('witness failed', { error });
    process.exitCode = 1;
  },
);
