import {
  NOTE_ALG_COSIGNATURE_V1,
  NOTE_ALG_ED25519,
  NoteError,
  type NoteSigner,
  parseSignerKey,
  parseVerifierKey,
} from '@msi/core';
import { ConfigError, ConfigReader, LOG_LEVELS, type LogLevel } from '@msi/service-kit';
import { loadWitnessKey } from './witness-key.js';

/** The witness's configuration, read once from the environment (see README.md for each variable). */
export interface Config {
  readonly host: string;
  readonly port: number;
  /** The witness's signer key string (secret, 0x04); exactly one of key and devKeyFile is set. */
  readonly key: string | undefined;
  /** Dev mode: where a generated key is kept. */
  readonly devKeyFile: string | undefined;
  /** The name of a generated dev key. */
  readonly devKeyName: string;
  /** Verifier key strings of the witnessed logs (0x01); origin = key name. */
  readonly logs: readonly string[];
  readonly stateFile: string;
  readonly logLevel: LogLevel;
  /** C2SP tlog-tiles base URLs the witness reads on its own (MSI_WITNESS_FEED_TILES), and how often. */
  readonly feedTiles: readonly string[];
  readonly feedIntervalMs: number;
}

/** Reads and validates the configuration; throws a ConfigError naming every problem at once. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const r = new ConfigReader(env);
  const listen = r.string('MSI_WITNESS_LISTEN', '127.0.0.1:7380');
  const match = /^(.+):([0-9]{1,5})$/.exec(listen);
  const host = (match?.[1] ?? '').replace(/^\[(.*)\]$/, '$1');
  const port = Number(match?.[2] ?? Number.NaN);
  if (!match || port > 65_535)
    r.problem(`MSI_WITNESS_LISTEN=${JSON.stringify(listen)} must be <host>:<port>`);
  const key = r.optionalString('MSI_WITNESS_KEY');
  const devKeyFile = r.optionalString('MSI_WITNESS_DEV_KEY_FILE');
  checkKey(r, key, devKeyFile);
  const logs = r
    .string('MSI_WITNESS_LOGS')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (logs.length === 0) r.problem('MSI_WITNESS_LOGS must list at least one log verifier key');
  for (const [i, text] of logs.entries()) checkLogKey(r, i, text);
  const feedTiles = (r.optionalString('MSI_WITNESS_FEED_TILES') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  for (const [i, url] of feedTiles.entries()) checkTilesUrl(r, i, url);
  const config: Config = {
    host,
    port,
    key,
    devKeyFile,
    devKeyName: r.string('MSI_WITNESS_DEV_KEY_NAME', 'msi-dev-witness'),
    logs,
    stateFile: r.string('MSI_WITNESS_STATE_FILE'),
    logLevel: r.oneOf('MSI_LOG_LEVEL', LOG_LEVELS, 'info'),
    feedTiles,
    feedIntervalMs: r.integer('MSI_WITNESS_FEED_INTERVAL_MS', 60_000, { min: 1000, max: 24 * 3600_000 }),
  };
  r.done();
  return config;
}

function checkKey(r: ConfigReader, key: string | undefined, devKeyFile: string | undefined): void {
  if (key === undefined && devKeyFile === undefined) {
    r.problem(
      'MSI_WITNESS_KEY is required (PRIVATE+KEY+<name>+<id>+<base64>, algorithm 0x04); set MSI_WITNESS_DEV_KEY_FILE instead only for a generated dev key',
    );
  }
  if (key !== undefined && devKeyFile !== undefined) {
    r.problem('set MSI_WITNESS_KEY or MSI_WITNESS_DEV_KEY_FILE, not both');
  }
  if (key === undefined) return;
  try {
    if (parseSignerKey(key).algorithm !== NOTE_ALG_COSIGNATURE_V1) {
      r.problem('MSI_WITNESS_KEY must be a cosignature (0x04) key, not a log key');
    }
  } catch (error: unknown) {
    const code = error instanceof NoteError ? error.code : 'KEY_MALFORMED';
    r.problem(`MSI_WITNESS_KEY is not a valid signer key (${code})`); // never echo the secret
  }
}

function checkTilesUrl(r: ConfigReader, index: number, text: string): void {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    r.problem(`MSI_WITNESS_FEED_TILES[${index}] ${JSON.stringify(text)} is not an http(s) URL`);
  }
}

function checkLogKey(r: ConfigReader, index: number, text: string): void {
  try {
    if (parseVerifierKey(text).algorithm !== NOTE_ALG_ED25519) {
      r.problem(`MSI_WITNESS_LOGS[${index}] ${text} is not an Ed25519 (0x01) log key`);
    }
  } catch (error: unknown) {
    const code = error instanceof NoteError ? error.code : 'KEY_MALFORMED';
    r.problem(`MSI_WITNESS_LOGS[${index}] ${JSON.stringify(text)} is not a verifier key (${code})`);
  }
}

/**
 * The configuration and the key it names (a dev key file is read, or generated, here): a key file
 * that cannot be read or parsed is a ConfigError naming MSI_WITNESS_DEV_KEY_FILE.
 */
export async function loadWitness(
  env: Readonly<Record<string, string | undefined>>,
): Promise<Config & { readonly signer: NoteSigner; readonly devKey: boolean }> {
  const config = loadConfig(env);
  try {
    const { signer, dev } = await loadWitnessKey(config);
    return { ...config, signer, devKey: dev };
  } catch (error: unknown) {
    const variable = config.key === undefined ? 'MSI_WITNESS_DEV_KEY_FILE' : 'MSI_WITNESS_KEY';
    throw new ConfigError([`${variable}: ${error instanceof Error ? error.message : String(error)}`]);
  }
}
