import { parseVerifierKey } from '@msi/core';
import { assertValidPrefix } from '@msi/nats';
import { parsePolicy } from '@msi/policy';
import { ConfigReader, CredentialStore, fromFile, LOG_LEVELS, type LogLevel } from '@msi/service-kit';

/** The alerter's configuration, read once from the environment (see README.md / docs/ALERTS.md). */
export interface Config {
  readonly natsUrl: string;
  readonly natsReplicas: number;
  readonly prefix: string;
  readonly databaseUrl: string;
  /** The calendar's trusted verifier key string: checkpoints are checked against it. */
  readonly calendarKey: string;
  /** The policy file (YAML or JSON), hot-reloaded. */
  readonly policyFile: string;
  /** How often the policy file is checked for changes, ms. */
  readonly policyPollMs: number;
  /** The credentials file (ingest's format, API keys only); undefined = no authenticated calls. */
  readonly credentialsFile: string | undefined;
  readonly grpcHost: string;
  readonly grpcPort: number;
  /** /metrics and /healthz: loopback unless configured otherwise. */
  readonly metricsHost: string;
  /** 0 = no metrics server. */
  readonly metricsPort: number;
  /** How often the service levels (sealing, anchoring, calendar) are checked, ms. */
  readonly slaCheckMs: number;
  readonly webhookBaseBackoffMs: number;
  readonly webhookMaxAttempts: number;
  readonly logLevel: LogLevel;
}

/** Reads and validates the configuration; throws a ConfigError naming every problem at once. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const r = new ConfigReader(env);
  const prefix = r.validated('MSI_PREFIX', 'msi', assertValidPrefix);
  const calendarKey = r.validated('MSI_ALERTER_CALENDAR_KEY', undefined, parseVerifierKey);
  const config: Config = {
    natsUrl: r.string('MSI_NATS_URL', 'nats://127.0.0.1:4222'),
    natsReplicas: r.integer('MSI_NATS_REPLICAS', 1, { min: 1, max: 5 }),
    prefix,
    databaseUrl: r.string('MSI_ALERTER_DATABASE_URL'),
    calendarKey,
    policyFile: r.string('MSI_ALERTER_POLICY_FILE'),
    policyPollMs: r.integer('MSI_ALERTER_POLICY_POLL_MS', 1000, { min: 50, max: 600_000 }),
    credentialsFile: r.optionalString('MSI_ALERTER_CREDENTIALS_FILE'),
    grpcHost: r.string('MSI_ALERTER_HOST', '0.0.0.0'),
    grpcPort: r.integer('MSI_ALERTER_PORT', 50054, { min: 0, max: 65535 }),
    ...r.metricsListener('MSI_ALERTER_METRICS_HOST', 'MSI_ALERTER_METRICS_PORT', 0),
    slaCheckMs: r.integer('MSI_ALERTER_SLA_CHECK_MS', 1000, { min: 100, max: 600_000 }),
    webhookBaseBackoffMs: r.integer('MSI_ALERTER_WEBHOOK_BACKOFF_MS', 1000, { min: 10, max: 600_000 }),
    webhookMaxAttempts: r.integer('MSI_ALERTER_WEBHOOK_MAX_ATTEMPTS', 12, { min: 1, max: 100 }),
    logLevel: r.oneOf('MSI_LOG_LEVEL', LOG_LEVELS, 'info'),
  };
  r.done();
  return config;
}

/**
 * The configuration, the API keys of its credentials file and a first check of the policy file: an
 * unreadable or invalid file is a ConfigError naming its variable (exit 2), before anything starts.
 */
export function loadAlerter(
  env: Readonly<Record<string, string | undefined>>,
): Config & { readonly credentials: CredentialStore } {
  const config = loadConfig(env);
  const credentials = CredentialStore.fromFileOf('MSI_ALERTER_CREDENTIALS_FILE', config.credentialsFile);
  fromFile('MSI_ALERTER_POLICY_FILE', config.policyFile, (text) =>
    parsePolicy(text, { source: config.policyFile }),
  );
  return { ...config, credentials };
}
