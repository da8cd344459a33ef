import { readFileSync } from 'node:fs';

/**
 * Reads typed settings from an environment-like record, collecting every problem so a service that
 * is misconfigured says everything wrong at once, naming each variable. Services call it only from
 * their config.ts.
 */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads the file a variable names and parses it, for a service's config loader: an unreadable file
 * or a `parse` that throws becomes a ConfigError naming the variable (`NAME: <path>: <why>`).
 */
export function fromFile<T>(variable: string, path: string, parse: (text: string) => T): T {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error: unknown) {
    throw new ConfigError([`${variable}: cannot read ${path}: ${messageOf(error)}`]);
  }
  try {
    return parse(text);
  } catch (error: unknown) {
    throw new ConfigError([`${variable}: ${path}: ${messageOf(error)}`]);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class ConfigReader {
  readonly #problems: string[] = [];

  constructor(private readonly env: Readonly<Record<string, string | undefined>>) {}

  string(name: string, fallback?: string): string {
    const value = this.#raw(name);
    if (value !== undefined) return value;
    if (fallback !== undefined) return fallback;
    this.#problems.push(`${name} is required`);
    return '';
  }

  optionalString(name: string): string | undefined {
    return this.#raw(name);
  }

  integer(name: string, fallback: number, range: { min: number; max: number }): number {
    const value = this.#raw(name);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(parsed) || parsed < range.min || parsed > range.max) {
      this.#problems.push(
        `${name}=${JSON.stringify(value)} must be an integer in [${range.min}, ${range.max}]`,
      );
      return fallback;
    }
    return parsed;
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.#raw(name);
    if (value === undefined) return fallback;
    if (['1', 'true', 'yes'].includes(value.toLowerCase())) return true;
    if (['0', 'false', 'no'].includes(value.toLowerCase())) return false;
    this.#problems.push(`${name}=${JSON.stringify(value)} must be true or false`);
    return fallback;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.#raw(name);
    if (value === undefined) return fallback;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    this.#problems.push(`${name}=${JSON.stringify(value)} must be one of ${allowed.join(', ')}`);
    return fallback;
  }

  /**
   * A string checked by `validate` (e.g. a subject prefix or a key parser), which throws on a bad
   * value: its message becomes the problem `NAME: message`. An empty value is not validated (a
   * required variable that is missing is already a problem).
   */
  validated(name: string, fallback: string | undefined, validate: (value: string) => unknown): string {
    const value = this.string(name, fallback);
    if (value === '') return value;
    try {
      validate(value);
    } catch (error: unknown) {
      this.#problems.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    }
    return value;
  }

  /**
   * Where a service serves /metrics and /healthz, the same in every service: `hostName` (default
   * 127.0.0.1 — loopback unless configured otherwise) and `portName` (0 = off; see
   * startMetricsListener), e.g. `MSI_VERIFIER_METRICS_HOST` and `MSI_VERIFIER_METRICS_PORT` (the
   * full names, so that each service's variables can be found in its config.ts).
   */
  metricsListener(
    hostName: string,
    portName: string,
    defaultPort: number,
  ): { metricsHost: string; metricsPort: number } {
    return {
      metricsHost: this.string(hostName, '127.0.0.1'),
      metricsPort: this.integer(portName, defaultPort, { min: 0, max: 65_535 }),
    };
  }

  /** Records a problem found by the caller's own cross-field checks. */
  problem(message: string): void {
    this.#problems.push(message);
  }

  /** Throws a ConfigError listing every problem, if any. */
  done(): void {
    if (this.#problems.length > 0) throw new ConfigError(this.#problems);
  }

  #raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }
}
