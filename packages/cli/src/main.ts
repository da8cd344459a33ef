import { stdin } from 'node:process';
import type { CliIo } from './cli-io.js';
import { runCli } from './run-cli.js';

/** The exit status after a second Ctrl-C while a command is stopping (128 + SIGINT). */
const FORCED_EXIT = 130;

/** The process entry point (bin/msi.mjs): real stdout/stderr/stdin, environment, clock and signals. */
export async function main(argv: readonly string[]): Promise<number> {
  let interruption: AbortController | undefined;
  const io: CliIo = {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    stdin: () => stdin,
    env: process.env,
    now: () => Date.now(),
    tty: process.stdout.isTTY === true,
    interrupted: () => {
      if (interruption === undefined) {
        const controller = new AbortController();
        interruption = controller;
        const onSignal = (signal: NodeJS.Signals) => {
          if (controller.signal.aborted) process.exit(FORCED_EXIT);
          controller.abort(signal);
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
        // A closed terminal: `msi up`'s services are detached from it, so the stack must stop them.
        process.on('SIGHUP', onSignal);
      }
      return interruption.signal;
    },
  };
  return runCli(argv, io);
}
