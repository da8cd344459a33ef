import { Readable } from 'node:stream';
import { type CliIo, runCli } from '@msi/cli';

/** What one `msi` invocation printed and returned. */
export interface MsiRun {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the real `msi` CLI in-process with `env` as its whole environment (no stdin), capturing
 * its output: what a user typing the README's commands gets, without a subprocess per call.
 */
export async function runMsi(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
): Promise<MsiRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    out: (text) => {
      stdout += text;
    },
    err: (text) => {
      stderr += text;
    },
    stdin: () => Readable.from([]),
    env: { ...env },
    now: () => Date.now(),
  };
  const status = await runCli(args, io);
  return { status, stdout, stderr };
}
