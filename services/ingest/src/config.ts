import { tmpdir } from 'node:os';
import { assertValidPrefix, MAX_SHARDS } from '@msi/nats';
import { ConfigReader, type LogLevel } from '@msi/service-kit';

/** How the gRPC listener is secured. */
export type TransportConfig =
  | { readonly kind: 'insecure' }
  | {
      readonly kind: 'tls';
      readonly certFile: string;
      readonly keyFile: string;
      /** When set, clients may authenticate with a certificate issued by this CA (mTLS). */
      readonly clientCaFile: string | undefined;
      /** With a client CA: refuse TLS connections without a valid client certificate. */
      readonly requireClientCert: boolean;
    };

/** Everything ingest is configured with; built by loadConfig from MSI_* variables. */
export interface IngestConfig {
  readonly natsUrl: string;
  readonly prefix: string;
  readonly shards: number;
  readonly roundIntervalMs: number;
  readonly logLevel: LogLevel;
  readonly listenHost: string;
  readonly listenPort: number;
  /** The OpenLineage endpoint (POST /api/v1/lineage, docs/OPENLINEAGE.md); undefined: off. */
  readonly openLineage: { readonly host: string; readonly port: number } | undefined;
  /** OpenLineage request bodies larger than this are refused (413). */
  readonly openLineageMaxBodyBytes: number;
  readonly transport: TransportConfig;
  readonly credentialsFile: string;
  /** occurred_at may be at most this far in the future of ingest's clock. */
  readonly maxSkewMs: number;
  /** occurred_at may be at most this far in the past (at most the dedup window). */
  readonly maxAgeMs: number;
  /** JetStream replicas of the streams and of the claims stream (3 in production; every service the same). */
  readonly natsReplicas: number;
  /** Events per SubmitBatch / per SubmitStream message. */
  readonly maxBatch: number;
  /** gRPC messages larger than this are refused (RESOURCE_EXHAUSTED). */
  readonly maxMessageBytes: number;
  /** Events accepted but not yet answered, across all calls; past it, RESOURCE_EXHAUSTED. */
  readonly maxInFlight: number;
  /**
   * How long an event id is remembered: ids whose UUIDv7 time is older are refused (ID_OUTSIDE_WINDOW),
   * and so is an occurred_at older than this.
   */
  readonly dedupWindowMs: number;
  /**
   * Claim index ids whose UUIDv7 time is within this of now stay in memory; older ones are written to
   * files under `claimDirectory` (docs/ARCHITECTURE.md, "Idempotency"). At least the window plus the
   * skew: all in memory, no files.
   */
  readonly claimMemoryMs: number;
  /** Where this process's claim index files go (a directory of its own is made in it). */
  readonly claimDirectory: string;
  /** A claim lets its owner publish for this long; then others may recover the event. */
  readonly claimWindowMs: number;
  /** A batch waits at most this long for more events. */
  readonly lingerMs: number;
  readonly batchMaxEvents: number;
  readonly batchMaxBytes: number;
  /** Per JetStream publish attempt. */
  readonly publishTimeoutMs: number;
  readonly publishAttempts: number;
  /** SubmitStream: requests a client may have unanswered (the credit). */
  readonly streamWindow: number;
  /** /metrics and /healthz: loopback unless configured otherwise. */
  readonly metricsHost: string;
  /** 0 = no metrics server. */
  readonly metricsPort: number;
  /** Security events published per second at most (burst: twice that); the rest are counted. */
  readonly securityEventsPerSecond: number;
  /** How often the shard map (KV `<P>_SHARDS`) is read again and this instance's version reported. */
  readonly shardMapPollMs: number;
  /** A report of the version this instance routes by is live this long; past it without a read, ingest refuses events. */
  readonly shardMapReportTtlMs: number;
  /** A draining shard retires no sooner than this after it left the map (and every live instance reported). */
  readonly shardMapMaxStalenessMs: number;
}

const SECOND = 1000;
const HOUR = 3600 * SECOND;
const DAY = 24 * HOUR;

/** Reads and validates the configuration; throws ConfigError naming every bad variable at once. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): IngestConfig {
  const read = new ConfigReader(env);
  const prefix = read.validated('MSI_PREFIX', 'msi', assertValidPrefix);
  const listen = parseListen('MSI_INGEST_LISTEN', read.string('MSI_INGEST_LISTEN', '127.0.0.1:50051'), read);
  const openLineageListen = read.optionalString('MSI_INGEST_OPENLINEAGE_LISTEN');
  const dedupWindowMs = read.integer('MSI_INGEST_DEDUP_WINDOW_MS', DAY, { min: 60 * SECOND, max: 30 * DAY });
  const config: IngestConfig = {
    natsUrl: read.string('MSI_NATS_URL', 'nats://127.0.0.1:4222'),
    prefix,
    shards: read.integer('MSI_SHARDS', 4, { min: 1, max: MAX_SHARDS }),
    roundIntervalMs: read.integer('MSI_ROUND_INTERVAL_MS', 1000, { min: 10, max: HOUR }),
    logLevel: read.oneOf('MSI_LOG_LEVEL', ['debug', 'info', 'warn', 'error'], 'info'),
    listenHost: listen.host,
    listenPort: listen.port,
    openLineage:
      openLineageListen === undefined || openLineageListen === ''
        ? undefined
        : parseListen('MSI_INGEST_OPENLINEAGE_LISTEN', openLineageListen, read),
    openLineageMaxBodyBytes: read.integer('MSI_INGEST_OPENLINEAGE_MAX_BODY_BYTES', 1024 * 1024, {
      min: 1024,
      max: 64 * 1024 * 1024,
    }),
    transport: readTransport(read),
    credentialsFile: read.string('MSI_INGEST_CREDENTIALS_FILE'),
    maxSkewMs: read.integer('MSI_INGEST_MAX_SKEW_MS', 5 * 60 * SECOND, { min: 0, max: DAY }),
    maxAgeMs: read.integer('MSI_INGEST_MAX_AGE_MS', 7 * DAY, { min: SECOND, max: 3650 * DAY }),
    dedupWindowMs,
    natsReplicas: read.integer('MSI_NATS_REPLICAS', 1, { min: 1, max: 5 }),
    maxBatch: read.integer('MSI_INGEST_MAX_BATCH', 1000, { min: 1, max: 100_000 }),
    maxMessageBytes: read.integer('MSI_INGEST_MAX_MESSAGE_BYTES', 4 * 1024 * 1024, {
      min: 1024,
      max: 64 * 1024 * 1024,
    }),
    maxInFlight: read.integer('MSI_INGEST_MAX_IN_FLIGHT', 50_000, { min: 1, max: 10_000_000 }),
    claimMemoryMs: read.integer('MSI_INGEST_CLAIM_MEMORY_MS', 10 * SECOND, {
      min: 2 * SECOND,
      max: 31 * DAY,
    }),
    claimDirectory: read.string('MSI_INGEST_CLAIM_DIR', tmpdir()),
    claimWindowMs: read.integer('MSI_INGEST_CLAIM_WINDOW_MS', 10 * SECOND, { min: 500, max: 60 * SECOND }),
    lingerMs: read.integer('MSI_INGEST_LINGER_MS', 2, { min: 0, max: 1000 }),
    batchMaxEvents: read.integer('MSI_INGEST_BATCH_MAX_EVENTS', 1024, { min: 1, max: 100_000 }),
    batchMaxBytes: read.integer('MSI_INGEST_BATCH_MAX_BYTES', 512 * 1024, {
      min: 4 * 1024,
      max: 8 * 1024 * 1024,
    }),
    publishTimeoutMs: read.integer('MSI_INGEST_PUBLISH_TIMEOUT_MS', 2000, { min: 50, max: 60 * SECOND }),
    publishAttempts: read.integer('MSI_INGEST_PUBLISH_ATTEMPTS', 3, { min: 1, max: 20 }),
    streamWindow: read.integer('MSI_INGEST_STREAM_WINDOW', 256, { min: 1, max: 100_000 }),
    ...read.metricsListener('MSI_INGEST_METRICS_HOST', 'MSI_INGEST_METRICS_PORT', 9464),
    securityEventsPerSecond: read.integer('MSI_INGEST_SECURITY_EVENTS_PER_SECOND', 100, {
      min: 1,
      max: 100_000,
    }),
    shardMapPollMs: read.integer('MSI_SHARD_MAP_POLL_MS', 500, { min: 50, max: 600 * SECOND }),
    shardMapReportTtlMs: read.integer('MSI_SHARD_MAP_REPORT_TTL_MS', 5 * SECOND, { min: 150, max: HOUR }),
    shardMapMaxStalenessMs: read.integer('MSI_SHARD_MAP_MAX_STALENESS_MS', 30 * SECOND, {
      min: SECOND,
      max: DAY,
    }),
  };
  if (config.shardMapReportTtlMs < 3 * config.shardMapPollMs) {
    read.problem('MSI_SHARD_MAP_REPORT_TTL_MS must be at least 3 × MSI_SHARD_MAP_POLL_MS');
  }
  const inFlightMs = config.claimWindowMs + config.publishTimeoutMs + config.shardMapReportTtlMs;
  if (config.shardMapMaxStalenessMs <= inFlightMs) {
    read.problem(
      `MSI_SHARD_MAP_MAX_STALENESS_MS (${config.shardMapMaxStalenessMs}) must exceed MSI_INGEST_CLAIM_WINDOW_MS + MSI_INGEST_PUBLISH_TIMEOUT_MS + MSI_SHARD_MAP_REPORT_TTL_MS (${inFlightMs}): a batch accepted under the old map may still be published until then`,
    );
  }
  if (config.publishTimeoutMs >= config.claimWindowMs) {
    read.problem(
      `MSI_INGEST_PUBLISH_TIMEOUT_MS (${config.publishTimeoutMs}) must be less than MSI_INGEST_CLAIM_WINDOW_MS (${config.claimWindowMs})`,
    );
  }
  if (config.lingerMs >= config.claimWindowMs) {
    read.problem('MSI_INGEST_LINGER_MS must be less than MSI_INGEST_CLAIM_WINDOW_MS');
  }
  read.done();
  return config;
}

function readTransport(read: ConfigReader): TransportConfig {
  const insecure = read.boolean('MSI_INGEST_INSECURE', false);
  const certFile = read.optionalString('MSI_INGEST_TLS_CERT');
  const keyFile = read.optionalString('MSI_INGEST_TLS_KEY');
  const clientCaFile = read.optionalString('MSI_INGEST_CLIENT_CA');
  const requireClientCert = read.boolean('MSI_INGEST_REQUIRE_CLIENT_CERT', false);
  if (insecure) {
    if (certFile !== undefined || keyFile !== undefined || clientCaFile !== undefined) {
      read.problem(
        'MSI_INGEST_INSECURE=true cannot be combined with MSI_INGEST_TLS_* / MSI_INGEST_CLIENT_CA',
      );
    }
    return { kind: 'insecure' };
  }
  if (certFile === undefined || keyFile === undefined) {
    read.problem(
      'MSI_INGEST_TLS_CERT and MSI_INGEST_TLS_KEY are required (or MSI_INGEST_INSECURE=true for plaintext, dev only)',
    );
    return { kind: 'insecure' };
  }
  if (requireClientCert && clientCaFile === undefined) {
    read.problem('MSI_INGEST_REQUIRE_CLIENT_CERT=true needs MSI_INGEST_CLIENT_CA');
  }
  return { kind: 'tls', certFile, keyFile, clientCaFile, requireClientCert };
}

function parseListen(variable: string, value: string, read: ConfigReader): { host: string; port: number } {
  const match = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(value);
  const port = match === null ? Number.NaN : Number(match[2]);
  if (match === null || match[1] === undefined || !(port >= 0 && port <= 65_535)) {
    read.problem(`${variable}=${JSON.stringify(value)} must be host:port, e.g. 127.0.0.1:50051`);
    return { host: '127.0.0.1', port: 50051 };
  }
  return { host: match[1], port };
}
