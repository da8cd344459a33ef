/** Structured JSON logs, one object per line: {"t": ISO time, "level", "service", "msg", ...fields}. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(bindings: Record<string, unknown>): Logger;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LoggerOptions {
  readonly service: string;
  readonly level: LogLevel;
  readonly write?: (line: string) => void;
  readonly now?: () => Date;
}

export function createLogger(options: LoggerOptions, bindings: Record<string, unknown> = {}): Logger {
  const write = options.write ?? ((line: string) => process.stdout.write(line));
  const now = options.now ?? (() => new Date());
  const log = (level: LogLevel) => (msg: string, fields?: Record<string, unknown>) => {
    if (RANK[level] < RANK[options.level]) return;
    const record = { t: now().toISOString(), level, service: options.service, msg, ...bindings, ...fields };
    write(`${JSON.stringify(record, replacer)}\n`);
  };
  return {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: (more) => createLogger(options, { ...bindings, ...more }),
  };
}

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error)
    return {
      name: value.name,
      message: value.message,
      ...(value.cause ? { cause: String(value.cause) } : {}),
    };
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  return value;
}
