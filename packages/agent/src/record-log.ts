import { open, readFile, truncate } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { isMissing } from './file-state.js';

/**
 * An append-only file of JSON records, one per line, each prefixed by the CRC-32 of its JSON
 * (`<8 hex> <json>\n`), written with fdatasync before an append returns. A record cut short by a
 * crash (no newline, or a CRC that does not match) ends the log: reading stops there, and opening
 * for append cuts the file back to the last whole record.
 */
export class RecordLog {
  readonly path: string;
  #handle: Awaited<ReturnType<typeof open>>;
  #bytes: number;
  /** Appends and clears run one at a time, in call order. */
  #tail: Promise<unknown> = Promise.resolve();

  private constructor(path: string, handle: Awaited<ReturnType<typeof open>>, bytes: number) {
    this.path = path;
    this.#handle = handle;
    this.#bytes = bytes;
  }

  /** Opens `path` for appending (created when absent), after reading its whole records. */
  static async open(path: string): Promise<{ log: RecordLog; records: unknown[]; cut: number }> {
    const { records, validBytes, totalBytes } = await readRecords(path);
    if (validBytes < totalBytes) await truncate(path, validBytes);
    const handle = await open(path, 'a');
    return { log: new RecordLog(path, handle, validBytes), records, cut: totalBytes - validBytes };
  }

  /** The log's size in bytes. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Appends records and makes them durable. */
  append(records: readonly unknown[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    const bytes = Buffer.from(records.map(frame).join(''), 'utf8');
    return this.#serially(async () => {
      await this.#handle.write(bytes);
      await this.#handle.datasync();
      this.#bytes += bytes.length;
    });
  }

  /** Empties the log (every record in it is done with). */
  clear(): Promise<void> {
    return this.#serially(async () => {
      await this.#handle.truncate(0);
      await this.#handle.datasync();
      this.#bytes = 0;
    });
  }

  #serially(task: () => Promise<void>): Promise<void> {
    const run = this.#tail.then(task);
    this.#tail = run.catch(() => {});
    return run;
  }

  async close(): Promise<void> {
    await this.#tail;
    await this.#handle.close();
  }
}

/** The whole records of a log file (none when it does not exist), and where they end. */
export async function readRecords(
  path: string,
): Promise<{ records: unknown[]; validBytes: number; totalBytes: number }> {
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (error: unknown) {
    if (isMissing(error)) return { records: [], validBytes: 0, totalBytes: 0 };
    throw error;
  }
  const records: unknown[] = [];
  let at = 0;
  for (;;) {
    const end = data.indexOf(0x0a, at);
    if (end < 0) break;
    const record = unframe(data.subarray(at, end));
    if (record === undefined) break;
    records.push(record);
    at = end + 1;
  }
  return { records, validBytes: at, totalBytes: data.length };
}

function frame(record: unknown): string {
  const json = JSON.stringify(record);
  return `${crc32(json).toString(16).padStart(8, '0')} ${json}\n`;
}

/** A line's record, or undefined when it is damaged (the file's contents are not trusted). */
function unframe(line: Buffer): unknown {
  if (line.length < 10 || line[8] !== 0x20) return undefined;
  const json = line.subarray(9);
  if (crc32(json).toString(16).padStart(8, '0') !== line.subarray(0, 8).toString('latin1')) return undefined;
  try {
    return JSON.parse(json.toString('utf8'));
  } catch {
    return undefined;
  }
}
