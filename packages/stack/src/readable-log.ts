/**
 * A service's JSON log line as a person reads it: `HH:MM:SS.mmm LEVEL service/component msg
 * key=value …`. Two record shapes are read: pino's (`level` a label such as "info" or pino's number,
 * `time` an ISO string or epoch milliseconds, `service`, `instance`, `component`, `msg`) and the
 * older service-kit one (`t` an ISO string, `level`, `service`, `msg`). Anything else — not JSON,
 * JSON without a level — is returned unchanged. Pure.
 */

export interface ReadableLogOptions {
  /** ANSI colours (only on a terminal). */
  readonly colors: boolean;
  /** The IANA time zone times are shown in; default this machine's. */
  readonly timeZone?: string;
}

const RESET = '\x1b[0m';
const DIM = '\x1b[2m';
const LEVEL_COLORS: Readonly<Record<string, string>> = {
  TRACE: DIM,
  DEBUG: DIM,
  WARN: '\x1b[33m',
  ERROR: '\x1b[31m',
  FATAL: '\x1b[1;31m',
};
/** pino's numeric levels. */
const PINO_LEVELS: Readonly<Record<number, string>> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};
/** Fields shown in the line's head (and its time stamp), or that only repeat the console's prefix. */
const HEAD_FIELDS = new Set(['level', 'service', 'component', 'msg', 'instance', 'pid', 'hostname']);

/** The readable form of one log line (see the file comment). */
export function readableLogLine(line: string, options: ReadableLogOptions): string {
  const record = logRecordOf(line);
  if (record === undefined) return line;
  const level = levelOf(record.level);
  if (level === undefined) return line;
  const paint = (color: string | undefined, text: string) =>
    options.colors && color !== undefined ? `${color}${text}${RESET}` : text;
  const head: string[] = [];
  // service-kit stamps `t` (and `time` may then be a field of the message); pino stamps `time`.
  const stamp = 't' in record ? 't' : 'time';
  const time = clockTime(record[stamp], options.timeZone);
  if (time !== undefined) head.push(paint(DIM, time));
  head.push(paint(LEVEL_COLORS[level], level.padEnd(5)));
  const source = [record.service, record.component].filter((s) => typeof s === 'string' && s !== '');
  if (source.length > 0) head.push(source.join('/'));
  if (typeof record.msg === 'string' && record.msg !== '') head.push(record.msg);
  const stacks: string[] = [];
  for (const [key, value] of Object.entries(record)) {
    if (key === stamp || HEAD_FIELDS.has(key)) continue;
    head.push(`${key}=${fieldText(value)}`);
    const stack = stackOf(value);
    if (stack !== undefined) stacks.push(stack);
  }
  return [head.join(' '), ...stacks].join('\n');
}

function logRecordOf(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The level as an upper-case label, or undefined when the record has none. */
function levelOf(level: unknown): string | undefined {
  const label = typeof level === 'number' ? PINO_LEVELS[level] : level;
  return typeof label === 'string' && /^[a-z]+$/i.test(label) ? label.toUpperCase() : undefined;
}

const clockFormats = new Map<string, Intl.DateTimeFormat>();

/** `HH:MM:SS.mmm` of an ISO time or epoch milliseconds, in `timeZone`; undefined when it is neither. */
function clockTime(value: unknown, timeZone: string | undefined): string | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return undefined;
  const key = timeZone ?? '';
  let format = clockFormats.get(key);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-GB', {
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      fractionalSecondDigits: 3,
      hourCycle: 'h23',
      ...(timeZone === undefined ? {} : { timeZone }),
    });
    clockFormats.set(key, format);
  }
  return format.format(date);
}

/** A field's value: a plain word as it is, other text quoted, an error by its message (and cause), else JSON. */
function fieldText(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (isErrorLike(value)) {
    const cause = typeof value.cause === 'string' ? ` (cause: ${value.cause})` : '';
    return JSON.stringify(`${value.message}${cause}`);
  }
  return JSON.stringify(value) ?? String(value);
}

function isErrorLike(value: unknown): value is { message: string; stack?: unknown; cause?: unknown } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { message?: unknown }).message === 'string' &&
    ('stack' in value || 'type' in value || 'name' in value)
  );
}

/** An error's stack below its first line (which repeats the message), indented; else undefined. */
function stackOf(value: unknown): string | undefined {
  if (!isErrorLike(value) || typeof value.stack !== 'string') return undefined;
  const frames = value.stack
    .split('\n')
    .slice(1)
    .map((frame) => frame.trim())
    .filter((frame) => frame !== '');
  return frames.length === 0 ? undefined : frames.map((frame) => `    ${frame}`).join('\n');
}
