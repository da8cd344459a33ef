import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { isValidKeyName, NoteError, parseSignerKey } from '@msi/core';
import { assertValidPrefix } from '@msi/nats';
import { ConfigError, ConfigReader, LOG_LEVELS, type LogLevel } from '@msi/service-kit';
import { MIN_PUBLICATION_INTERVAL_MS } from './publication-schedule.js';
import { isValidRoleName } from './schema.js';
import { type LogKey, loadLogKey } from './signing-key.js';
import { parseWitnessList, type WitnessTarget } from './witness-list.js';

/** The calendar's configuration, read once from the environment (see README.md for each variable). */
export interface Config {
  readonly natsUrl: string;
  readonly prefix: string;
  readonly natsReplicas: number;
  readonly intervalMs: number;
  /** Close each round this long after its wall-clock boundary, so it carries the window just sealed. */
  readonly closeDelayMs: number;
  /** The application connection (may be the app role). */
  readonly databaseUrl: string;
  /** The owner connection that runs migrations and grants (defaults to databaseUrl). */
  readonly migrationUrl: string;
  readonly appRole: string;
  /** The log's signer key string (secret); exactly one of signingKey and devKeyFile is set. */
  readonly signingKey: string | undefined;
  /** Dev mode: where a generated key is kept. */
  readonly devKeyFile: string | undefined;
  /** The name (origin) of a generated dev key. */
  readonly devKeyName: string;
  readonly instanceId: string;
  readonly leaseMs: number;
  readonly publishTimeoutMs: number;
  /** The witnesses every checkpoint is submitted to (none by default). */
  readonly witnesses: readonly WitnessTarget[];
  /** Per-request timeout of add-checkpoint. */
  readonly witnessTimeoutMs: number;
  /**
   * How often the newest checkpoint is offered to each witness, ms: its own cadence, not the
   * rounds' (public witness networks ration requests per log); default the round interval.
   */
  readonly witnessIntervalMs: number;
  /** Publish at every wall-clock multiple of this (ms; whole seconds, ≥ 1000); 0 = no publications. */
  readonly publicationIntervalMs: number;
  /** Write the calendar as a C2SP tlog-tiles log into this directory (undefined = off). */
  readonly tilesDir: string | undefined;
  /** 0 = no metrics server. */
  readonly metricsPort: number;
  /** /metrics and /healthz: loopback unless configured otherwise. */
  readonly metricsHost: string;
  readonly logLevel: LogLevel;
}

const MIN_INTERVAL_MS = 10;
const MAX_INTERVAL_MS = 24 * 3600_000;
const MAX_PUBLICATION_INTERVAL_MS = 31 * 24 * 3600_000;

/** Reads and validates the configuration; throws a ConfigError naming every problem at once. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const r = new ConfigReader(env);
  const natsUrl = r.string('MSI_NATS_URL', 'nats://127.0.0.1:4222');
  const prefix = r.validated('MSI_PREFIX', 'msi', assertValidPrefix);
  const intervalMs = r.integer('MSI_ROUND_INTERVAL_MS', 1000, { min: MIN_INTERVAL_MS, max: MAX_INTERVAL_MS });
  const databaseUrl = r.string('MSI_DATABASE_URL');
  const migrationUrl = r.optionalString('MSI_CALENDAR_MIGRATION_URL') ?? databaseUrl;
  const appRole = r.string('MSI_CALENDAR_APP_ROLE', 'msi_calendar_app');
  if (!isValidRoleName(appRole)) {
    r.problem(`MSI_CALENDAR_APP_ROLE=${JSON.stringify(appRole)} must be a lower-case SQL identifier`);
  }
  const signingKey = r.optionalString('MSI_CALENDAR_SIGNING_KEY');
  const devKeyFile = r.optionalString('MSI_CALENDAR_DEV_KEY_FILE');
  const devKeyName = r.string('MSI_CALENDAR_DEV_KEY_NAME', 'msi-dev-calendar');
  checkKeys(r, signingKey, devKeyFile, devKeyName);
  const leaseMs = r.integer('MSI_CALENDAR_LEASE_MS', Math.max(5000, 3 * intervalMs), {
    min: 100,
    max: 24 * 3600_000,
  });
  if (leaseMs <= intervalMs) r.problem(`MSI_CALENDAR_LEASE_MS=${leaseMs} must exceed MSI_ROUND_INTERVAL_MS`);
  // Default: after the aggregators' grace (250 ms) plus time to publish, capped below the interval.
  const closeDelayMs = r.integer('MSI_CALENDAR_CLOSE_DELAY_MS', Math.min(400, Math.floor(intervalMs * 0.4)), {
    min: 0,
    max: 3600_000,
  });
  if (closeDelayMs >= intervalMs) {
    r.problem(`MSI_CALENDAR_CLOSE_DELAY_MS=${closeDelayMs} must be below MSI_ROUND_INTERVAL_MS`);
  }
  const witnessList = parseWitnessList(r.optionalString('MSI_CALENDAR_WITNESSES') ?? '');
  for (const problem of witnessList.problems) r.problem(`MSI_CALENDAR_WITNESSES: ${problem}`);
  const publicationIntervalMs = r.integer('MSI_CALENDAR_PUBLICATION_INTERVAL_MS', 86_400_000, {
    min: 0,
    max: MAX_PUBLICATION_INTERVAL_MS,
  });
  if (
    publicationIntervalMs !== 0 &&
    (publicationIntervalMs < MIN_PUBLICATION_INTERVAL_MS || publicationIntervalMs % 1000 !== 0)
  ) {
    r.problem(
      `MSI_CALENDAR_PUBLICATION_INTERVAL_MS=${publicationIntervalMs} must be 0 (off) or whole seconds, at least ${MIN_PUBLICATION_INTERVAL_MS}`,
    );
  }
  const config: Config = {
    natsUrl,
    prefix,
    natsReplicas: r.integer('MSI_NATS_REPLICAS', 1, { min: 1, max: 5 }),
    intervalMs,
    closeDelayMs,
    databaseUrl,
    migrationUrl,
    appRole,
    signingKey,
    devKeyFile,
    devKeyName,
    instanceId: r.string(
      'MSI_CALENDAR_INSTANCE_ID',
      `calendar-${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
    ),
    leaseMs,
    publishTimeoutMs: r.integer('MSI_CALENDAR_PUBLISH_TIMEOUT_MS', 2000, { min: 100, max: 60_000 }),
    witnesses: witnessList.witnesses,
    witnessTimeoutMs: r.integer('MSI_CALENDAR_WITNESS_TIMEOUT_MS', 5000, { min: 100, max: 120_000 }),
    witnessIntervalMs: r.integer('MSI_CALENDAR_WITNESS_INTERVAL_MS', intervalMs, {
      min: MIN_INTERVAL_MS,
      max: MAX_PUBLICATION_INTERVAL_MS,
    }),
    publicationIntervalMs,
    tilesDir: r.optionalString('MSI_CALENDAR_TILES_DIR'),
    ...r.metricsListener('MSI_CALENDAR_METRICS_HOST', 'MSI_CALENDAR_METRICS_PORT', 0),
    logLevel: r.oneOf('MSI_LOG_LEVEL', LOG_LEVELS, 'info'),
  };
  r.done();
  return config;
}

/** Exactly one key source; a signing key that parses (never echoed: it is a secret). */
function checkKeys(
  r: ConfigReader,
  signingKey: string | undefined,
  devKeyFile: string | undefined,
  devKeyName: string,
): void {
  if (signingKey === undefined && devKeyFile === undefined) {
    r.problem(
      'MSI_CALENDAR_SIGNING_KEY is required (PRIVATE+KEY+<name>+<id>+<base64>); set MSI_CALENDAR_DEV_KEY_FILE instead only for a generated dev key',
    );
  }
  if (signingKey !== undefined && devKeyFile !== undefined) {
    r.problem('set MSI_CALENDAR_SIGNING_KEY or MSI_CALENDAR_DEV_KEY_FILE, not both');
  }
  if (signingKey !== undefined) {
    try {
      parseSignerKey(signingKey);
    } catch (error: unknown) {
      const code = error instanceof NoteError ? error.code : 'KEY_MALFORMED';
      r.problem(`MSI_CALENDAR_SIGNING_KEY is not a valid Ed25519 signer key (${code})`);
    }
  }
  if (!isValidKeyName(devKeyName))
    r.problem('MSI_CALENDAR_DEV_KEY_NAME must be a key name without spaces or +');
}

/**
 * The configuration and the log key it names (a dev key file is read, or generated, here): a key
 * that cannot be read or used is a ConfigError naming its variable.
 */
export async function loadCalendar(
  env: Readonly<Record<string, string | undefined>>,
): Promise<Config & { readonly key: LogKey; readonly instance: string }> {
  const config = loadConfig(env);
  try {
    return { ...config, key: await loadLogKey(config), instance: config.instanceId };
  } catch (error: unknown) {
    const variable =
      config.signingKey === undefined ? 'MSI_CALENDAR_DEV_KEY_FILE' : 'MSI_CALENDAR_SIGNING_KEY';
    throw new ConfigError([`${variable}: ${error instanceof Error ? error.message : String(error)}`]);
  }
}
