import pino from 'pino';

/**
 * Structured logs, one JSON object per line, written by pino:
 * `{"level":"info","time":"2026-…Z","service":"ingest","instance":"ingest-3f9a","msg":"…",…fields}`.
 * `level` is the label, `time` ISO 8601 UTC. A field named like one of those keys of the line's own
 * (level, time, service, instance, msg) is written as `field_<name>`: JSON with a key twice is read by
 * most parsers as its last value. Secrets never reach a line: values under the keys in
 * SECRET_KEYS are replaced by pino's redaction, and a password in any URL (NATS, Postgres) by
 * scrubUrlPasswords. Services use this small interface, not pino itself.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** The levels, lowest first (the values MSI_LOG_LEVEL takes). */
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** A logger adding `bindings` to every line, e.g. `log.child({ component: 'projector' })`. */
  child(bindings: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  readonly service: string;
  /** Which process of the service (an instance id, or host-pid). */
  readonly instance?: string;
  readonly level: LogLevel;
  /** Where lines go (each ends with \n); default stdout, written synchronously. */
  readonly write?: (line: string) => void;
}

/** Field names whose values are secrets, at the top level or one level down. */
const SECRET_KEYS = [
  'apiKey',
  'api_key',
  'authorization',
  'password',
  'pass',
  'secret',
  'token',
  'signingKey',
  'privateKey',
];

const REDACT_PATHS = SECRET_KEYS.flatMap((key) => [key, `*.${key}`]);

export function createLogger(options: LoggerOptions): Logger {
  const destination =
    options.write === undefined ? pino.destination({ dest: 1, sync: true }) : { write: options.write };
  const base: Record<string, string> = { service: options.service };
  if (options.instance !== undefined) base.instance = options.instance;
  const root = pino(
    {
      level: options.level,
      base,
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    destination,
  );
  return wrap(root);
}

function wrap(target: pino.Logger): Logger {
  const at =
    (level: LogLevel) =>
    (msg: string, fields?: Record<string, unknown>): void => {
      if (!target.isLevelEnabled(level)) return;
      if (fields === undefined) target[level](scrubUrlPasswords(msg));
      else target[level](lineFields(fields), scrubUrlPasswords(msg));
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (bindings) => wrap(target.child(lineFields(bindings))),
  };
}

/** The keys every line has of its own (pino writes fields beside them, not over them). */
const LINE_KEYS: ReadonlySet<string> = new Set(['level', 'time', 'service', 'instance', 'msg']);

/** `fields` as a line shows them (plain), each named like one of the line's own keys renamed `field_<name>`. */
function lineFields(fields: Record<string, unknown>): Record<string, unknown> {
  const out = plain(fields, 0) as Record<string, unknown>;
  for (const key of Object.keys(out)) {
    if (!LINE_KEYS.has(key)) continue;
    out[`field_${key}`] = out[key];
    delete out[key];
  }
  return out;
}

/** `scheme://user:password@host` → `scheme://user:[redacted]@host`, anywhere in a text. */
export function scrubUrlPasswords(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s/@]+@/gi, '$1[redacted]@');
}

/**
 * Values as a log line shows them: errors as {name, message, code, cause}, bytes as hex, bigints as
 * decimal strings, URL passwords scrubbed from strings (nested objects up to a few levels).
 */
function plain(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return scrubUrlPasswords(value);
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return {
      name: value.name,
      message: scrubUrlPasswords(value.message),
      ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
      ...(value.cause === undefined ? {} : { cause: scrubUrlPasswords(String(value.cause)) }),
    };
  }
  if (value === null || typeof value !== 'object' || depth >= 4) return value;
  if (Array.isArray(value)) return value.map((item) => plain(item, depth + 1));
  if (value instanceof Date) return value.toISOString();
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = plain(item, depth + 1);
  return out;
}
