import { stdin } from 'node:process';
import type { CliIo } from './cli-io.js';
import { runCli } from './run-cli.js';

/** The process entry point (bin/msi.mjs): real stdout/stderr/stdin, environment and clock. */
export async function main(argv: readonly string[]): Promise<number> {
  const io: CliIo = {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    stdin: () => stdin,
    env: process.env,
    now: () => Date.now(),
  };
  return runCli(argv, io);
}
