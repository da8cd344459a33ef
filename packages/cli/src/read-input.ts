import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { CliError } from './cli-error.js';

/** Largest file the CLI reads whole (receipts, checkpoints, proofs, trust files): 16 MiB. */
export const MAX_INPUT_BYTES = 16 * 1024 * 1024;

// fatal: ill-formed UTF-8 is refused, never replaced by U+FFFD (which would let two files read as one
// text); ignoreBOM: a leading byte-order mark stays in the text, where JSON and notes refuse it.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The text of `path`, or of standard input when `path` is `-`: its bytes MUST be UTF-8
 * (docs/PROOFS.md: text is UTF-8). Throws CliError INPUT naming the file.
 */
export async function readText(path: string, stdin: () => Readable, what: string): Promise<string> {
  return textOf(await readBytes(path, stdin, what), path, what);
}

/** The bytes of `path`, or of standard input when `path` is `-`. Throws CliError INPUT naming the file. */
export async function readBytes(path: string, stdin: () => Readable, what: string): Promise<Uint8Array> {
  let bytes: Buffer;
  try {
    bytes = path === '-' ? await readAll(stdin()) : await readFile(path);
  } catch (error: unknown) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CliError('INPUT', `cannot read ${what} ${describe(path)}: ${reason}`, { cause: error });
  }
  if (bytes.length > MAX_INPUT_BYTES) {
    throw new CliError('INPUT', `${what} ${describe(path)} is larger than ${MAX_INPUT_BYTES} bytes`);
  }
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** `bytes` as UTF-8 text (docs/PROOFS.md: text is UTF-8). Throws CliError INPUT naming the file. */
export function textOf(bytes: Uint8Array, path: string, what: string): string {
  try {
    return utf8.decode(bytes);
  } catch (error: unknown) {
    throw new CliError('INPUT', `${what} ${describe(path)} is not UTF-8 text`, { cause: error });
  }
}

/** Parses `text` (hostile input) as JSON. Throws CliError INPUT naming the file. */
export function parseJsonText(text: string, path: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error: unknown) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CliError('INPUT', `${what} ${describe(path)} is not JSON: ${reason}`, { cause: error });
  }
}

export function describe(path: string): string {
  return path === '-' ? '(standard input)' : path;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buffer.length;
    if (size > MAX_INPUT_BYTES) throw new Error(`more than ${MAX_INPUT_BYTES} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}
