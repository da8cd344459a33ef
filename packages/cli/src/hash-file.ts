import { createReadStream } from 'node:fs';
import { type Imprint, makeImprint } from '@msi/core';
import { sha256 } from '@noble/hashes/sha2.js';
import { CliError } from './cli-error.js';

/**
 * The sha256 imprint of a file, read in 1 MiB chunks so files of any size hash in constant memory.
 * The data never leaves the machine: only the imprint is sent.
 */
export async function imprintOfFile(path: string): Promise<Imprint> {
  const hash = sha256.create();
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
      hash.update(chunk as Buffer);
    }
  } catch (error: unknown) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CliError('INPUT', `cannot read data file ${path}: ${reason}`, { cause: error });
  }
  return makeImprint('sha256', hash.digest());
}
