// TEST-ONLY: a CliIo that records what a command writes.
import { Readable } from 'node:stream';
import type { CliIo } from './cli-io.js';
import { runCli } from './run-cli.js';

export interface Recorded {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `msi <args>` in this process with `stdin` as standard input and `env` as the environment. */
export async function runRecorded(
  args: readonly string[],
  options: { stdin?: string; env?: Record<string, string> } = {},
): Promise<Recorded> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    out: (text) => {
      stdout += text;
    },
    err: (text) => {
      stderr += text;
    },
    stdin: () => Readable.from([Buffer.from(options.stdin ?? '')]),
    env: options.env ?? {},
    now: () => Date.now(),
  };
  const status = await runCli(args, io);
  return { status, stdout, stderr };
}
