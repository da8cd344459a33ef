import { ConfigReader, LOG_LEVELS, type LogLevel } from '@msi/service-kit';

/** The tiles server's configuration, read once from the environment (see README.md). */
export interface Config {
  readonly host: string;
  readonly port: number;
  /** The directory the calendar's tile writer fills (MSI_CALENDAR_TILES_DIR). */
  readonly dir: string;
  readonly logLevel: LogLevel;
}

/** Reads and validates the configuration; throws a ConfigError naming every problem at once. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const r = new ConfigReader(env);
  const listen = r.string('MSI_TILES_LISTEN', '127.0.0.1:7390');
  const match = /^(.+):([0-9]{1,5})$/.exec(listen);
  const port = Number(match?.[2] ?? Number.NaN);
  if (!match || port > 65_535) r.problem(`MSI_TILES_LISTEN=${JSON.stringify(listen)} must be <host>:<port>`);
  const config: Config = {
    host: (match?.[1] ?? '').replace(/^\[(.*)\]$/, '$1'),
    port,
    dir: r.string('MSI_TILES_DIR'),
    logLevel: r.oneOf('MSI_LOG_LEVEL', LOG_LEVELS, 'info'),
  };
  r.done();
  return config;
}
