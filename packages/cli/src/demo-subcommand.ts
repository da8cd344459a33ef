import type { CliIo } from './cli-io.js';
import type { Command } from './command.js';

/** What a command printed, and its exit status. */
export interface Captured {
  readonly status: number;
  readonly out: string;
  readonly err: string;
}

/**
 * Runs another `msi` command in-process with its output captured. It gets an empty environment:
 * everything the demo wants it to use is passed as flags, so nothing leaks in from the shell.
 * CliErrors propagate (the demo stops, naming the problem).
 */
export async function runCaptured(command: Command, args: readonly string[], io: CliIo): Promise<Captured> {
  let out = '';
  let err = '';
  const child: CliIo = {
    out: (text) => {
      out += text;
    },
    err: (text) => {
      err += text;
    },
    stdin: io.stdin,
    env: {},
    now: io.now,
  };
  const status = await command.run(args, child);
  return { status, out, err };
}
