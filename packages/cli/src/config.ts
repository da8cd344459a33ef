import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliError } from './cli-error.js';
import { booleanFlag, type ParsedFlags, stringFlag } from './parse-flags.js';

/**
 * How to reach a server (ingest, the verifier or the alerter). This file is the only place the CLI
 * reads the environment.
 */
export interface ServerConnection {
  /** host:port. */
  readonly address: string;
  readonly apiKey?: string;
  /** Plaintext (a dev server); otherwise TLS, verified with `caFile` or the system roots. */
  readonly insecure: boolean;
  readonly caFile?: string;
}

export interface ConnectionFlags {
  readonly server?: string | undefined;
  readonly apiKey?: string | undefined;
  readonly insecure: boolean;
  readonly ca?: string | undefined;
}

/** The connection flags every networked command takes. */
export const CONNECTION_FLAGS = {
  server: { type: 'string' },
  'api-key': { type: 'string' },
  insecure: { type: 'boolean' },
  ca: { type: 'string' },
} as const;

/** Ingest's address from --server or MSI_INGEST_ADDRESS, the key from --api-key or MSI_API_KEY. */
export function ingestConnection(
  flags: ConnectionFlags,
  env: Readonly<Record<string, string | undefined>>,
): ServerConnection {
  return serverConnection(flags, env.MSI_INGEST_ADDRESS, env.MSI_API_KEY, 'ingest', 'MSI_INGEST_ADDRESS');
}

/** The verifier's address from --server or MSI_VERIFIER_ADDRESS, the key from --api-key or MSI_API_KEY. */
export function verifierConnection(
  flags: ConnectionFlags,
  env: Readonly<Record<string, string | undefined>>,
): ServerConnection {
  return serverConnection(
    flags,
    env.MSI_VERIFIER_ADDRESS,
    env.MSI_API_KEY,
    'verifier',
    'MSI_VERIFIER_ADDRESS',
  );
}

/**
 * The verifier's address for a command whose --server is another service's (`msi emit
 * --receipts-dir`): from --verifier, else MSI_VERIFIER_ADDRESS. Throws CliError USAGE.
 */
export function verifierAddressOf(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): string {
  const address = flag ?? nonEmpty(env.MSI_VERIFIER_ADDRESS);
  if (address === undefined) {
    throw new CliError(
      'USAGE',
      'receipts come from the verifier: give --verifier host:port or set MSI_VERIFIER_ADDRESS',
    );
  }
  if (!/^[^\s/]+:[0-9]{1,5}$/.test(address)) {
    throw new CliError('USAGE', `--verifier "${address.slice(0, 80)}" is not host:port`);
  }
  return address;
}

/** The alerter's address when neither --server nor MSI_ALERTER_ADDRESS names one (npm start's). */
export const DEFAULT_ALERTER_ADDRESS = '127.0.0.1:50054';

/**
 * The alerter's address from --server or MSI_ALERTER_ADDRESS (default 127.0.0.1:50054), the key from
 * --api-key or MSI_API_KEY.
 */
export function alerterConnection(
  flags: ConnectionFlags,
  env: Readonly<Record<string, string | undefined>>,
): ServerConnection {
  return serverConnection(
    flags,
    nonEmpty(env.MSI_ALERTER_ADDRESS) ?? DEFAULT_ALERTER_ADDRESS,
    env.MSI_API_KEY,
    'alerter',
    'MSI_ALERTER_ADDRESS',
  );
}

/** Whether to colour standard output: on a terminal, unless NO_COLOR is set (no-color.org). */
export function colorOutput(
  tty: boolean | undefined,
  env: Readonly<Record<string, string | undefined>>,
): boolean {
  return tty === true && nonEmpty(env.NO_COLOR) === undefined;
}

/** The repository root: this file is packages/cli/{src,dist}/config.{ts,js}. */
export const REPOSITORY_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Where the development stack keeps its state and which servers it uses. */
export interface DevStackSettings {
  /**
   * The data directory, absolute: --data-dir, else MSI_DATA_DIR, else .msi in the repository
   * (relative paths against the current directory). `npm start`, `msi up` and `msi demo` all use it.
   */
  readonly dataDir: string;
  /** MSI_NATS_URL, when set (default: an embedded nats-server). */
  readonly natsUrl: string | undefined;
  /** MSI_DATABASE_URL, when set (default: an embedded Postgres). */
  readonly databaseUrl: string | undefined;
}

/**
 * The development stack's settings from the environment and an optional --data-dir: the one place
 * that resolves the data directory (scripts/start.mjs calls it too). Empty variables mean unset.
 */
export function devStackSettings(
  env: Readonly<Record<string, string | undefined>>,
  dataDirFlag?: string,
  cwd: string = process.cwd(),
): DevStackSettings {
  const given = dataDirFlag ?? nonEmpty(env.MSI_DATA_DIR);
  return {
    dataDir: given === undefined ? join(REPOSITORY_ROOT, '.msi') : resolve(cwd, given),
    natsUrl: nonEmpty(env.MSI_NATS_URL),
    databaseUrl: nonEmpty(env.MSI_DATABASE_URL),
  };
}

/** Throws CliError USAGE when no server is named or the TLS flags contradict each other. */
function serverConnection(
  flags: ConnectionFlags,
  envAddress: string | undefined,
  envKey: string | undefined,
  what: string,
  addressVariable: string,
): ServerConnection {
  const address = flags.server ?? nonEmpty(envAddress);
  if (address === undefined) {
    throw new CliError('USAGE', `no ${what} server: give --server host:port or set ${addressVariable}`);
  }
  if (!/^[^\s/]+:[0-9]{1,5}$/.test(address)) {
    throw new CliError('USAGE', `--server "${address.slice(0, 80)}" is not host:port`);
  }
  if (flags.insecure && flags.ca !== undefined) {
    throw new CliError('USAGE', '--insecure and --ca contradict each other: plaintext has no CA');
  }
  const apiKey = flags.apiKey ?? nonEmpty(envKey);
  return {
    address,
    insecure: flags.insecure,
    ...(apiKey === undefined ? {} : { apiKey }),
    ...(flags.ca === undefined ? {} : { caFile: flags.ca }),
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

export const CONNECTION_HELP = `  --server HOST:PORT     the server's address
  --api-key KEY          the API key (default: $MSI_API_KEY)
  --insecure             plaintext, for a development server
  --ca FILE              the CA that signed the server's certificate (default: the system roots)`;

/** The connection flags' values from parsed flags. */
export function connectionFlagsOf(flags: ParsedFlags): ConnectionFlags {
  return {
    server: stringFlag(flags, 'server'),
    apiKey: stringFlag(flags, 'api-key'),
    insecure: booleanFlag(flags, 'insecure'),
    ca: stringFlag(flags, 'ca'),
  };
}
