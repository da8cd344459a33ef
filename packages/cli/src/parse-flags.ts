import { type ParseArgsConfig, parseArgs } from 'node:util';

type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig['options']>;

import { CliError } from './cli-error.js';

export interface ParsedFlags {
  readonly values: Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;
  readonly positionals: readonly string[];
}

/**
 * node:util parseArgs in strict mode, with its errors turned into CliError USAGE naming the command.
 * Every command also takes --help (-h).
 */
export function parseFlags(
  command: string,
  args: readonly string[],
  options: ParseArgsOptionsConfig,
): ParsedFlags {
  try {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    return { values, positionals };
  } catch (error: unknown) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CliError('USAGE', `msi ${command}: ${reason} (see msi ${command} --help)`, { cause: error });
  }
}

/** A string flag's value, or undefined. */
export function stringFlag(flags: ParsedFlags, name: string): string | undefined {
  const value = flags.values[name];
  return typeof value === 'string' ? value : undefined;
}

/** A repeatable string flag's values (empty when absent). */
export function stringsFlag(flags: ParsedFlags, name: string): string[] {
  const value = flags.values[name];
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.filter((item): item is string => typeof item === 'string');
}

export function booleanFlag(flags: ParsedFlags, name: string): boolean {
  return flags.values[name] === true;
}

/** Exactly `count` positionals, or CliError USAGE naming what was expected. */
export function expectPositionals(command: string, flags: ParsedFlags, names: readonly string[]): string[] {
  if (flags.positionals.length !== names.length) {
    const want = names.map((n) => `<${n}>`).join(' ');
    throw new CliError(
      'USAGE',
      `msi ${command} takes ${want}, got ${flags.positionals.length} argument(s) (see msi ${command} --help)`,
    );
  }
  return [...flags.positionals];
}
