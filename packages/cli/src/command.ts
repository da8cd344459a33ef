import type { CliIo } from './cli-io.js';

/** One `msi` subcommand. `run` returns the exit status or throws CliError. */
export interface Command {
  readonly name: string;
  /** One line for `msi --help`. */
  readonly summary: string;
  /** The full `msi <name> --help` text. */
  readonly help: string;
  run(args: readonly string[], io: CliIo): Promise<number>;
}
