import { agentCommand } from './agent-command.js';
import { alertsCommand } from './alerts-command.js';
import { CliError, EXIT, exitStatus } from './cli-error.js';
import type { CliIo } from './cli-io.js';
import type { Command } from './command.js';
import { consistencyCommand } from './consistency-command.js';
import { demoCommand } from './demo-command.js';
import { emitCommand } from './emit-command.js';
import { extendCommand } from './extend-command.js';
import { historyCommand } from './history-command.js';
import { lineageCommand } from './lineage-command.js';
import { policyCommand } from './policy-command.js';
import { publicationsCommand } from './publications-command.js';
import { receiptCommand } from './receipt-command.js';
import { searchCommand } from './search-command.js';
import { shardsCommand } from './shards-command.js';
import { stateCommand } from './state-command.js';
import { upCommand } from './up-command.js';
import { verifyCommand } from './verify-command.js';
import { witnessesCommand } from './witnesses-command.js';

export const COMMANDS: readonly Command[] = [
  verifyCommand,
  consistencyCommand,
  extendCommand,
  emitCommand,
  receiptCommand,
  historyCommand,
  searchCommand,
  lineageCommand,
  witnessesCommand,
  publicationsCommand,
  alertsCommand,
  policyCommand,
  shardsCommand,
  demoCommand,
  upCommand,
  agentCommand,
  stateCommand,
];

export function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `Usage: msi <command> [options]   (msi <command> --help for its options)

Commands:
${lines.join('\n')}

Exit status: 0 ok, 1 verification failed, 2 usage or input error, 3 server unreachable or unavailable.`;
}

/**
 * Runs `msi <args>` and returns the exit status. Errors that name a problem (CliError) become one
 * line on stderr; anything else is a bug and propagates.
 */
export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(`${usage()}\n`);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    io.err(`msi: unknown command "${name}"\n\n${usage()}\n`);
    return EXIT.usage;
  }
  try {
    return await command.run(rest, io);
  } catch (error: unknown) {
    if (!(error instanceof CliError)) throw error;
    const prefix = `msi ${command.name}: `;
    const message = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
    io.err(`${prefix}${message}\n`);
    return exitStatus(error.code);
  }
}
