import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigReader, LOG_LEVELS, type LogLevel } from '@msi/service-kit';

/** The console's configuration, read once from the environment (README.md lists each variable). */
export interface ConsoleConfig {
  readonly host: string;
  readonly port: number;
  readonly verifierAddress: string;
  readonly alerterAddress: string;
  /** Plaintext gRPC to the verifier and alerter (dev only); otherwise TLS. */
  readonly upstreamInsecure: boolean;
  /** PEM roots for the upstream TLS; absent: the system's. */
  readonly upstreamCa: Buffer | undefined;
  readonly staticDir: string;
  readonly corsOrigins: readonly string[];
  readonly logLevel: LogLevel;
  readonly metricsHost: string;
  readonly metricsPort: number;
}

/** Where the build puts the app (vite build --config web/vite.config.ts). */
export const BUILT_APP_DIR = fileURLToPath(new URL('../dist/public', import.meta.url));

/** Reads and checks the configuration; throws a ConfigError naming every problem at once. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): ConsoleConfig {
  const r = new ConfigReader(env);
  const listen = r.string('MSI_CONSOLE_LISTEN', '127.0.0.1:8080');
  const match = /^(.+):([0-9]{1,5})$/.exec(listen);
  const port = Number(match?.[2] ?? Number.NaN);
  if (!match || port > 65_535)
    r.problem(`MSI_CONSOLE_LISTEN=${JSON.stringify(listen)} must be <host>:<port>`);
  const caFile = r.optionalString('MSI_CONSOLE_UPSTREAM_CA');
  let upstreamCa: Buffer | undefined;
  if (caFile !== undefined) {
    try {
      upstreamCa = readFileSync(caFile);
    } catch {
      r.problem(`MSI_CONSOLE_UPSTREAM_CA: cannot read ${caFile}`);
    }
  }
  const upstreamInsecure = r.boolean('MSI_CONSOLE_UPSTREAM_INSECURE', false);
  if (upstreamInsecure && caFile !== undefined) {
    r.problem('MSI_CONSOLE_UPSTREAM_INSECURE=true cannot be combined with MSI_CONSOLE_UPSTREAM_CA');
  }
  const staticDir = r.string('MSI_CONSOLE_STATIC_DIR', BUILT_APP_DIR);
  if (!existsSync(`${staticDir}/index.html`)) {
    r.problem(
      `MSI_CONSOLE_STATIC_DIR: no index.html in ${staticDir} (build the app: npx pnpm --filter @msi/console build:web)`,
    );
  }
  const corsOrigins = (r.optionalString('MSI_CONSOLE_CORS_ORIGINS') ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '');
  for (const origin of corsOrigins) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) {
      r.problem(
        `MSI_CONSOLE_CORS_ORIGINS: ${JSON.stringify(origin)} is not an origin (scheme://host[:port])`,
      );
    }
  }
  const config: ConsoleConfig = {
    host: (match?.[1] ?? '').replace(/^\[(.*)\]$/, '$1'),
    port,
    verifierAddress: r.string('MSI_CONSOLE_VERIFIER_ADDRESS', '127.0.0.1:50052'),
    alerterAddress: r.string('MSI_CONSOLE_ALERTER_ADDRESS', '127.0.0.1:50054'),
    upstreamInsecure,
    upstreamCa,
    staticDir,
    corsOrigins,
    logLevel: r.oneOf('MSI_LOG_LEVEL', LOG_LEVELS, 'info'),
    ...r.metricsListener('MSI_CONSOLE_METRICS_HOST', 'MSI_CONSOLE_METRICS_PORT', 0),
  };
  r.done();
  return config;
}
