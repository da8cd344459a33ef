import { isAbsolute } from 'node:path';
import { type At, type Entries, PolicyError, readYamlDocument, type YamlReader } from '@msi/policy';
import { compileGlob, type GlobMatcher } from './glob.js';

/** What a watched file is to the policy: its `file.class` attribute. */
export const FILE_CLASSES = ['file', 'config', 'frozen', 'executable'] as const;
export type FileClass = (typeof FILE_CLASSES)[number];

/** One watched root: a directory (everything under it that the globs select) or a single file. */
export interface WatchSpec {
  readonly path: string;
  /** Paths relative to `path` that are watched (absent: all). */
  readonly include: GlobMatcher | undefined;
  readonly exclude: GlobMatcher | undefined;
  readonly fileClass: FileClass;
}

export interface IngestSpec {
  readonly address: string;
  readonly verifier: string | undefined;
  /** The environment variable holding the API key (the emitter and auditor roles of the tenant). */
  readonly apiKeyEnv: string;
  readonly insecure: boolean;
  /** The calendar's verifier keys: receipts are verified with them before they are kept. */
  readonly logKeys: readonly string[];
}

/** The agent's configuration file, checked (docs: packages/agent/README.md). */
export interface AgentConfig {
  /** The host the agent reports (`source.host` of its events); default: the machine's hostname. */
  readonly host: string | undefined;
  readonly actor: string;
  readonly watch: readonly WatchSpec[];
  /** Ignored under every root (relative paths). */
  readonly ignore: GlobMatcher | undefined;
  readonly limits: { readonly maxFiles: number; readonly maxFileBytes: number };
  readonly rescanIntervalMs: number;
  /** Where the spool, the local index and the receipts live. */
  readonly stateDir: string;
  readonly spoolMaxBytes: number;
  readonly ingest: IngestSpec;
}

const SECTIONS = [
  'version',
  'host',
  'actor',
  'watch',
  'ignore',
  'limits',
  'rescan_interval',
  'state_dir',
  'spool',
  'ingest',
];
const DEFAULTS = {
  maxFiles: 100_000,
  maxFileBytes: 1 << 30,
  rescanIntervalMs: 600_000,
  spoolMaxBytes: 64 << 20,
};
const HOST = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const ADDRESS = /^[^\s:]+:[0-9]{1,5}$/;

/**
 * Parses the agent's YAML configuration. `text` is operator input: every field is checked, and every
 * problem is reported with its line and column, as the policy's are: throws PolicyError (SYNTAX or
 * INVALID, one line per problem, `<file>:<line>:<column> <field>: <message>`), the policy's own.
 */
export function parseAgentConfig(text: string, source = 'agent.yaml'): AgentConfig {
  const result = readYamlDocument(
    text,
    'the configuration is empty (want at least `version: 1`)',
    readConfig,
  );
  if (!result.ok) throw new PolicyError(result.code, result.problems, source);
  return result.value;
}

function readConfig(reader: YamlReader, root: At): AgentConfig {
  const entries: Entries = reader.map(root, SECTIONS) ?? new Map();
  const versionAt = reader.entry(entries, 'version', root, true);
  if (versionAt !== undefined && reader.integer(versionAt, 1, 1) === undefined) return placeholder();
  const hostAt = entries.get('host');
  const actorAt = entries.get('actor');
  const watchAt = reader.entry(entries, 'watch', root, true);
  const stateAt = reader.entry(entries, 'state_dir', root, true);
  const ingestAt = reader.entry(entries, 'ingest', root, true);
  const rescanAt = entries.get('rescan_interval');
  const ignoreAt = entries.get('ignore');
  return {
    host: hostAt && reader.matching(hostAt, HOST, 'a host name'),
    actor: (actorAt && reader.matching(actorAt, /^[\x21-\x7e]{1,256}$/, 'an actor name')) ?? 'msi-agent',
    watch: watchAt === undefined ? [] : readWatch(reader, watchAt),
    ignore: ignoreAt && globsOf(reader, ignoreAt),
    limits: readLimits(reader, entries.get('limits')),
    rescanIntervalMs: (rescanAt && millis(reader.duration(rescanAt))) ?? DEFAULTS.rescanIntervalMs,
    stateDir: (stateAt && absolutePath(reader, stateAt)) ?? '',
    spoolMaxBytes: readSpool(reader, entries.get('spool')),
    ingest: ingestAt === undefined ? placeholder().ingest : readIngest(reader, ingestAt),
  };
}

function readWatch(reader: YamlReader, at: At): WatchSpec[] {
  const specs: WatchSpec[] = [];
  const items = reader.seq(at) ?? [];
  if (items.length === 0 && at.node !== null) reader.report(at, 'must name at least one path');
  for (const item of items) {
    const entries = reader.map(item, ['path', 'include', 'exclude', 'class']);
    if (entries === undefined) continue;
    const pathAt = reader.entry(entries, 'path', item, true);
    const path = pathAt && absolutePath(reader, pathAt);
    const includeAt = entries.get('include');
    const excludeAt = entries.get('exclude');
    const classAt = entries.get('class');
    if (path === undefined) continue;
    specs.push({
      path,
      include: includeAt && globsOf(reader, includeAt),
      exclude: excludeAt && globsOf(reader, excludeAt),
      fileClass: (classAt && reader.oneOf(classAt, FILE_CLASSES)) ?? 'file',
    });
  }
  return specs;
}

function readLimits(reader: YamlReader, at: At | undefined): AgentConfig['limits'] {
  const entries: Entries =
    at === undefined ? new Map() : (reader.map(at, ['max_files', 'max_file_size']) ?? new Map());
  const filesAt = entries.get('max_files');
  const sizeAt = entries.get('max_file_size');
  return {
    maxFiles: (filesAt && reader.integer(filesAt, 1, 10_000_000)) ?? DEFAULTS.maxFiles,
    maxFileBytes: (sizeAt && readSize(reader, sizeAt)) ?? DEFAULTS.maxFileBytes,
  };
}

function readSpool(reader: YamlReader, at: At | undefined): number {
  const entries: Entries = at === undefined ? new Map() : (reader.map(at, ['max_size']) ?? new Map());
  const sizeAt = entries.get('max_size');
  return (sizeAt && readSize(reader, sizeAt)) ?? DEFAULTS.spoolMaxBytes;
}

function readIngest(reader: YamlReader, at: At): IngestSpec {
  const entries = reader.map(at, ['address', 'verifier', 'api_key_env', 'insecure', 'log_keys']) ?? new Map();
  const addressAt = reader.entry(entries, 'address', at, true);
  const verifierAt = entries.get('verifier');
  const keyAt = entries.get('api_key_env');
  const insecureAt = entries.get('insecure');
  const keysAt = entries.get('log_keys');
  return {
    address: (addressAt && reader.matching(addressAt, ADDRESS, 'an address host:port')) ?? '',
    verifier: verifierAt && reader.matching(verifierAt, ADDRESS, 'an address host:port'),
    apiKeyEnv:
      (keyAt && reader.matching(keyAt, ENV_NAME, 'an environment variable name')) ?? 'MSI_AGENT_API_KEY',
    insecure: (insecureAt && reader.boolean(insecureAt)) ?? false,
    logKeys: (keysAt && reader.strings(keysAt)) ?? [],
  };
}

const SIZE = /^([0-9]{1,15})(B|KiB|MiB|GiB)?$/;
const UNIT: Readonly<Record<string, number>> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };

/** A size: a number of bytes, or `<n>KiB|MiB|GiB`. */
function readSize(reader: YamlReader, at: At): number | undefined {
  const text = reader.string(at, true);
  const match = text === undefined ? null : SIZE.exec(text);
  const bytes = match === null ? undefined : Number(match[1]) * (UNIT[match[2] ?? 'B'] ?? 1);
  if (text !== undefined && (bytes === undefined || bytes === 0 || !Number.isSafeInteger(bytes))) {
    reader.report(at, `"${text}" is not a size like 4096, 64KiB, 64MiB or 1GiB`);
    return undefined;
  }
  return bytes;
}

function absolutePath(reader: YamlReader, at: At): string | undefined {
  const text = reader.string(at);
  if (text !== undefined && !isAbsolute(text)) {
    reader.report(at, `"${text}" is not an absolute path`);
    return undefined;
  }
  return text;
}

function globsOf(reader: YamlReader, at: At): GlobMatcher | undefined {
  const patterns = reader.strings(at);
  if (patterns === undefined) return undefined;
  for (const [i, pattern] of patterns.entries()) {
    if (pattern === '' || pattern.startsWith('/')) {
      reader.report(
        { ...at, path: `${at.path}[${i}]` },
        `"${pattern}" must be a relative glob like **/*.conf`,
      );
    }
  }
  return compileGlob(patterns);
}

const millis = (micros: number | undefined): number | undefined =>
  micros === undefined ? undefined : Math.ceil(micros / 1000);

/** What a config with a bad version reads as (it is refused: the reader holds the problem). */
function placeholder(): AgentConfig {
  return {
    host: undefined,
    actor: 'msi-agent',
    watch: [],
    ignore: undefined,
    limits: { maxFiles: DEFAULTS.maxFiles, maxFileBytes: DEFAULTS.maxFileBytes },
    rescanIntervalMs: DEFAULTS.rescanIntervalMs,
    stateDir: '',
    spoolMaxBytes: DEFAULTS.spoolMaxBytes,
    ingest: {
      address: '',
      verifier: undefined,
      apiKeyEnv: 'MSI_AGENT_API_KEY',
      insecure: false,
      logKeys: [],
    },
  };
}
