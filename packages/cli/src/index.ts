export { CliError, type CliErrorCode, EXIT, exitStatus } from './cli-error.js';
export type { CliIo } from './cli-io.js';
export type { Command } from './command.js';
export { main } from './main.js';
export { COMMANDS, runCli, usage } from './run-cli.js';
