import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { type HashAlgorithm, type Imprint, makeImprint } from '@msi/core';

// Imprints of data computed where the data is (docs/PROOFS.md §3): only the imprint leaves the
// machine. node:crypto (OpenSSL) names every algorithm MSI accepts as the imprint text does.

/** The imprint of `data` (bytes, or a string as UTF-8) under `algorithm` (default sha256). */
export function hashBytes(data: Uint8Array | string, algorithm: HashAlgorithm = 'sha256'): Imprint {
  return makeImprint(algorithm, createHash(algorithm).update(data).digest());
}

/**
 * The imprint of everything a stream yields (a Node Readable, a web ReadableStream, any async
 * iterable of bytes or strings), in constant memory.
 */
export async function hashStream(
  stream: AsyncIterable<Uint8Array | string>,
  algorithm: HashAlgorithm = 'sha256',
): Promise<Imprint> {
  const hash = createHash(algorithm);
  for await (const chunk of stream) hash.update(chunk);
  return makeImprint(algorithm, hash.digest());
}

/** The imprint of a file's bytes, read in 1 MiB chunks. Rejects with the file system's error. */
export function hashFile(path: string, algorithm: HashAlgorithm = 'sha256'): Promise<Imprint> {
  return hashStream(createReadStream(path, { highWaterMark: 1 << 20 }), algorithm);
}
