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
  options: {
    stdin?: string;
    env?: Record<string, string>;
    /** Standard output is a terminal. */
    tty?: boolean;
    /** What io.interrupted() returns (Ctrl-C when it aborts). */
    interrupt?: AbortSignal;
    /** Sees stdout as it is written (e.g. to interrupt once something was printed). */
    onOut?: (stdout: string) => void;
  } = {},
): Promise<Recorded> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    out: (text) => {
      stdout += text;
      options.onOut?.(stdout);
    },
    err: (text) => {
      stderr += text;
    },
    stdin: () => Readable.from([Buffer.from(options.stdin ?? '')]),
    env: options.env ?? {},
    now: () => Date.now(),
    ...(options.tty === undefined ? {} : { tty: options.tty }),
    ...(options.interrupt === undefined ? {} : { interrupted: () => options.interrupt as AbortSignal }),
  };
  const status = await runCli(args, io);
  return { status, stdout, stderr };
}
