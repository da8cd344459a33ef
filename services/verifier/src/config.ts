import { NoteError, parseVerifierKey } from '@msi/core';
import { assertValidPrefix } from '@msi/nats';
import { ConfigReader, type LogLevel } from '@msi/service-kit';

/** The verifier's configuration, read once from the environment (see README.md for each variable). */
export interface Config {
  readonly natsUrl: string;
  readonly prefix: string;
  readonly databaseUrl: string;
  /** The calendar's trusted verifier key string (`<name>+<id>+<base64>`). */
  readonly calendarKey: string;
  /** The credentials file (ingest's format, API keys only); undefined = no authenticated calls. */
  readonly credentialsFile: string | undefined;
  readonly grpcHost: string;
  readonly grpcPort: number;
  /** 0 = no metrics server. */
  readonly metricsPort: number;
  readonly logLevel: LogLevel;
}

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** Reads and validates the configuration; throws a ConfigError naming every problem at once. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const r = new ConfigReader(env);
  const prefix = r.string('MSI_PREFIX', 'msi');
  try {
    assertValidPrefix(prefix);
  } catch (error: unknown) {
    r.problem(`MSI_PREFIX: ${(error as Error).message}`);
  }
  const calendarKey = r.string('MSI_VERIFIER_CALENDAR_KEY');
  if (calendarKey !== '') {
    try {
      parseVerifierKey(calendarKey);
    } catch (error: unknown) {
      if (!(error instanceof NoteError)) throw error;
      r.problem(`MSI_VERIFIER_CALENDAR_KEY: not a verifier key (${error.message})`);
    }
  }
  const logLevel = r.oneOf('MSI_LOG_LEVEL', LEVELS, 'info');
  const config: Config = {
    natsUrl: r.string('MSI_NATS_URL', 'nats://127.0.0.1:4222'),
    prefix,
    databaseUrl: r.string('MSI_VERIFIER_DATABASE_URL'),
    calendarKey,
    credentialsFile: r.optionalString('MSI_VERIFIER_CREDENTIALS_FILE'),
    grpcHost: r.string('MSI_VERIFIER_HOST', '0.0.0.0'),
    grpcPort: r.integer('MSI_VERIFIER_PORT', 50053, { min: 0, max: 65535 }),
    metricsPort: r.integer('MSI_VERIFIER_METRICS_PORT', 0, { min: 0, max: 65535 }),
    logLevel,
  };
  r.done();
  return config;
}
