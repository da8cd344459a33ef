import { writeFile } from 'node:fs/promises';
import { CliError } from './cli-error.js';

/** Writes `text` (or bytes) to the file `path`. Throws CliError INPUT naming the file. */
export async function writeOutput(path: string, text: string | Uint8Array): Promise<void> {
  try {
    await writeFile(path, text);
  } catch (error: unknown) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CliError('INPUT', `cannot write ${path}: ${reason}`, { cause: error });
  }
}
