import { NOTE_ALG_COSIGNATURE_V1, NoteError, parseVerifierKey } from '@msi/core';
import { assertValidPrefix } from '@msi/nats';
import { ConfigReader, CredentialStore, LOG_LEVELS, type LogLevel } from '@msi/service-kit';
import { ApiKeys } from './credentials.js';

/** The verifier's configuration, read once from the environment (see README.md for each variable). */
export interface Config {
  readonly natsUrl: string;
  readonly prefix: string;
  readonly databaseUrl: string;
  /** The calendar's trusted verifier key string (`<name>+<id>+<base64>`). */
  readonly calendarKey: string;
  /** Witness verifier keys (0x04) whose cosignature lines are checked (others are kept unchecked). */
  readonly witnessKeys: readonly string[];
  /** JetStream replicas of the streams it creates or updates: 3 in production, every service the same. */
  readonly natsReplicas: number;
  /** The credentials file (ingest's format, API keys only); undefined = no authenticated calls. */
  readonly credentialsFile: string | undefined;
  readonly grpcHost: string;
  readonly grpcPort: number;
  /** /metrics and /healthz: loopback unless configured otherwise. */
  readonly metricsHost: string;
  /** 0 = no metrics server. */
  readonly metricsPort: number;
  readonly logLevel: LogLevel;
  /** The receipt cache's byte budget (MSI_VERIFIER_RECEIPT_CACHE_MIB, default 128 MiB; 0 = none). */
  readonly receiptCacheBytes: number;
}

/** Reads and validates the configuration; throws a ConfigError naming every problem at once. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const r = new ConfigReader(env);
  const prefix = r.validated('MSI_PREFIX', 'msi', assertValidPrefix);
  const calendarKey = r.validated('MSI_VERIFIER_CALENDAR_KEY', undefined, parseVerifierKey);
  const witnessKeys = (r.optionalString('MSI_VERIFIER_WITNESS_KEYS') ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k !== '');
  for (const key of witnessKeys) {
    try {
      if (parseVerifierKey(key).algorithm !== NOTE_ALG_COSIGNATURE_V1) {
        r.problem(`MSI_VERIFIER_WITNESS_KEYS: ${key} is not a witness (0x04) key`);
      }
    } catch (error: unknown) {
      if (!(error instanceof NoteError)) throw error;
      r.problem(`MSI_VERIFIER_WITNESS_KEYS: ${key} is not a verifier key (${error.message})`);
    }
  }
  const logLevel = r.oneOf('MSI_LOG_LEVEL', LOG_LEVELS, 'info');
  const config: Config = {
    natsUrl: r.string('MSI_NATS_URL', 'nats://127.0.0.1:4222'),
    natsReplicas: r.integer('MSI_NATS_REPLICAS', 1, { min: 1, max: 5 }),
    prefix,
    databaseUrl: r.string('MSI_VERIFIER_DATABASE_URL'),
    calendarKey,
    witnessKeys,
    credentialsFile: r.optionalString('MSI_VERIFIER_CREDENTIALS_FILE'),
    grpcHost: r.string('MSI_VERIFIER_HOST', '0.0.0.0'),
    grpcPort: r.integer('MSI_VERIFIER_PORT', 50053, { min: 0, max: 65535 }),
    ...r.metricsListener('MSI_VERIFIER_METRICS_HOST', 'MSI_VERIFIER_METRICS_PORT', 0),
    logLevel,
    receiptCacheBytes:
      r.integer('MSI_VERIFIER_RECEIPT_CACHE_MIB', 128, { min: 0, max: 65_536 }) * 1024 * 1024,
  };
  r.done();
  return config;
}

/** The configuration and the API keys of its credentials file (unreadable or invalid: a ConfigError). */
export function loadVerifier(
  env: Readonly<Record<string, string | undefined>>,
): Config & { readonly keys: ApiKeys } {
  const config = loadConfig(env);
  const store = CredentialStore.fromFileOf('MSI_VERIFIER_CREDENTIALS_FILE', config.credentialsFile);
  return { ...config, keys: ApiKeys.of(store) };
}
